//! Record batches as Postgres rows: each batch made encodable, then encoded row by row for the
//! wire or as text for the in-process test runner, through the same cell encoder, so both see
//! identical text. Which Postgres type each column is sent as: [`crate::types`].

use std::sync::Arc;

use bytes::BytesMut;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};
use pgwire::api::Type;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::messages::data::DataRow;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::{IsNull, ToSql};

use crate::text_row;
use crate::vectors::{vector_text, vector_type};

pub use crate::cell::{CellSink, encode_cell};
pub use crate::types::{pg_fields, pg_type};

struct RowSink<'a>(&'a mut DataRowEncoder);

impl CellSink for RowSink<'_> {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()> {
        self.0
            .encode_field(value)
            .map_err(|e| DataFusionError::Execution(format!("encoding a result value: {e}")))
    }
}

/// Formats one cell as Postgres text, as a client receives it.
pub struct TextSink {
    pub ty: Type,
    pub out: Option<String>,
    options: FormatOptions,
}

impl CellSink for TextSink {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()> {
        let mut buf = BytesMut::new();
        let is_null = value
            .to_sql_text(&self.ty, &mut buf, &self.options)
            .map_err(|e| DataFusionError::Execution(format!("encoding a result value: {e}")))?;
        self.out = match is_null {
            IsNull::Yes => None,
            IsNull::No => Some(String::from_utf8_lossy(&buf).into_owned()),
        };
        Ok(())
    }
}

/// A batch's columns, made encodable: dictionaries unpacked, and vector columns
/// ([`crate::vectors`]) as their text where `text(column)` says they go out as text.
pub fn normalize(batch: &RecordBatch, text: impl Fn(usize) -> bool) -> Result<Vec<ArrayRef>> {
    let schema = batch.schema();
    batch
        .columns()
        .iter()
        .zip(schema.fields())
        .enumerate()
        .map(|(i, (c, field))| match c.data_type() {
            DataType::Dictionary(_, value) => Ok(cast(c, value)?),
            _ if text(i) && vector_type(field).is_some() => vector_text(c),
            _ => Ok(Arc::clone(c)),
        })
        .collect()
}

/// Encodes every row of `batch` for the wire: rows of text cells column by column, others
/// cell by cell through pgwire's encoder.
pub fn encode_batch(batch: &RecordBatch, fields: &Arc<Vec<FieldInfo>>) -> Result<Vec<DataRow>> {
    let columns = normalize(batch, |i| {
        fields
            .get(i)
            .is_none_or(|f| f.format() == FieldFormat::Text)
    })?;
    if let Some(first) = fields.first()
        && fields.iter().all(|f| f.format() == FieldFormat::Text)
    {
        return text_row::text_rows(&columns, batch.num_rows(), first.format_options());
    }
    let mut encoder = DataRowEncoder::new(Arc::clone(fields));
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        for column in &columns {
            encode_cell(&mut RowSink(&mut encoder), column.as_ref(), row)?;
        }
        rows.push(encoder.take_row());
    }
    Ok(rows)
}

/// Each cell of `batch` as Postgres text (`None` for NULL), for the in-process runner.
pub fn text_rows(batch: &RecordBatch) -> Result<Vec<Vec<Option<String>>>> {
    let columns = normalize(batch, |_| true)?;
    (0..batch.num_rows())
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    let mut sink = TextSink {
                        ty: pg_type(c.data_type()),
                        out: None,
                        options: FormatOptions::default(),
                    };
                    encode_cell(&mut sink, c.as_ref(), row)?;
                    Ok(sink.out)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Array, BooleanArray, Int32Array, ListArray, StringArray, StructArray,
        TimestampMicrosecondArray, UInt64Array,
    };
    use datafusion::arrow::datatypes::{Field, Int32Type as I32, Schema};

    fn text(array: ArrayRef) -> Vec<Option<String>> {
        let schema = Schema::new(vec![Field::new("c", array.data_type().clone(), true)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![array]).unwrap();
        text_rows(&batch)
            .unwrap()
            .into_iter()
            .map(|mut r| r.remove(0))
            .collect()
    }

    #[test]
    fn scalars_format_as_postgres_does() {
        assert_eq!(
            text(Arc::new(BooleanArray::from(vec![Some(true), None]))),
            vec![Some("t".into()), None]
        );
        assert_eq!(
            text(Arc::new(UInt64Array::from(vec![u64::MAX]))),
            vec![Some("18446744073709551615".into())]
        );
        let ts = TimestampMicrosecondArray::from(vec![0]).with_timezone("UTC");
        assert_eq!(
            text(Arc::new(ts)),
            vec![Some("1970-01-01 00:00:00.000000+00".into())]
        );
    }

    #[test]
    fn lists_become_arrays_and_structs_json() {
        let list = ListArray::from_iter_primitive::<I32, _, _>(vec![Some(vec![Some(1), None])]);
        assert_eq!(pg_type(list.data_type()), Type::INT4_ARRAY);
        assert_eq!(text(Arc::new(list)), vec![Some("{1,NULL}".into())]);

        let s = StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int32, true)),
                Arc::new(Int32Array::from(vec![7])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
            ),
        ]);
        assert_eq!(pg_type(s.data_type()), Type::JSON);
        assert_eq!(text(Arc::new(s)), vec![Some(r#"{"a":7,"b":"x"}"#.into())]);
    }
}
