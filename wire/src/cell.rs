//! One cell encoded for Postgres, text or binary as its sink writes it: scalars as their
//! Postgres type, lists of scalars as that type's array, nested types as JSON.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type,
};
use datafusion::common::Result;
use pgwire::api::Type;
use pgwire::types::ToSqlText;
use postgres_types::ToSql;

use crate::float::{PgFloat4, PgFloat8};
use crate::json::{cell_json, json_list};
use crate::types::{array_type, pg_type};
use crate::values::{
    big_int, bytes, date, float, int, interval, list_values, numeric, small_int, string, string_of,
    time, timestamp,
};

/// Where encoded cells go: a wire row, or a string for the in-process runner.
pub trait CellSink {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()>;
}

/// Encodes the cell at `row` of `array` (typed as [`pg_type`] says).
pub fn encode_cell<S: CellSink>(sink: &mut S, array: &dyn Array, row: usize) -> Result<()> {
    if array.is_null(row) {
        return sink.put(&None::<i32>);
    }
    match array.data_type() {
        DataType::Null => sink.put(&None::<i32>),
        DataType::Boolean => sink.put(&array.as_boolean().value(row)),
        DataType::Int8 => sink.put(&i16::from(array.as_primitive::<Int8Type>().value(row))),
        DataType::Int16 => sink.put(&array.as_primitive::<Int16Type>().value(row)),
        DataType::UInt8 => sink.put(&i16::from(array.as_primitive::<UInt8Type>().value(row))),
        DataType::Int32 => sink.put(&array.as_primitive::<Int32Type>().value(row)),
        DataType::UInt16 => sink.put(&i32::from(array.as_primitive::<UInt16Type>().value(row))),
        DataType::Int64 => sink.put(&array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt32 => sink.put(&i64::from(array.as_primitive::<UInt32Type>().value(row))),
        DataType::UInt64 | DataType::Decimal128(..) => sink.put(&numeric(array, row)?),
        DataType::Float16 | DataType::Float32 => sink.put(&PgFloat4(float(array, row)?)),
        DataType::Float64 => sink.put(&PgFloat8(array.as_primitive::<Float64Type>().value(row))),
        DataType::Utf8 => sink.put(&array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => sink.put(&array.as_string::<i64>().value(row)),
        DataType::Utf8View => sink.put(&array.as_string_view().value(row)),
        DataType::Binary => sink.put(&array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => sink.put(&array.as_binary::<i64>().value(row)),
        DataType::BinaryView => sink.put(&array.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => sink.put(&array.as_fixed_size_binary().value(row)),
        DataType::Date32 | DataType::Date64 => sink.put(&date(array, row)?),
        DataType::Time32(_) | DataType::Time64(_) => sink.put(&time(array, row)?),
        DataType::Timestamp(unit, tz) => {
            let naive = timestamp(array, *unit, row)?;
            match tz {
                None => sink.put(&naive),
                Some(_) => sink.put(&DateTime::<Utc>::from_naive_utc_and_offset(naive, Utc)),
            }
        }
        DataType::Interval(_) | DataType::Duration(_) => sink.put(&interval(array, row)?),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if array_type(f.data_type()) != Type::JSON =>
        {
            encode_list(sink, &list_values(array, row)?)
        }
        _ => sink.put(&cell_json(array, row)?),
    }
}

/// Encodes a list cell as a Postgres array of its element type.
fn encode_list<S: CellSink>(sink: &mut S, values: &ArrayRef) -> Result<()> {
    let values = match values.data_type() {
        DataType::Dictionary(_, v) => cast(values, v)?,
        _ => Arc::clone(values),
    };
    macro_rules! collect {
        ($f:expr) => {{
            let items: Vec<Option<_>> = (0..values.len())
                .map(|i| {
                    if values.is_null(i) {
                        Ok(None)
                    } else {
                        $f(i).map(Some)
                    }
                })
                .collect::<Result<_>>()?;
            sink.put(&items)
        }};
    }
    let v = values.as_ref();
    match pg_type(v.data_type()) {
        Type::BOOL => collect!(|i| Ok(v.as_boolean().value(i))),
        Type::INT2 => collect!(|i| small_int(v, i)),
        Type::INT4 => collect!(|i| int(v, i)),
        Type::INT8 => collect!(|i| big_int(v, i)),
        Type::FLOAT4 => collect!(|i| float(v, i).map(PgFloat4)),
        Type::FLOAT8 => collect!(|i| Ok(PgFloat8(v.as_primitive::<Float64Type>().value(i)))),
        Type::TEXT => collect!(|i| string(v, i)),
        Type::BYTEA => collect!(|i| bytes(v, i)),
        Type::DATE => collect!(|i| date(v, i)),
        Type::TIME => collect!(|i| time(v, i)),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => match v.data_type() {
            DataType::Timestamp(unit, Some(_)) => {
                let unit = *unit;
                collect!(|i| timestamp(v, unit, i)
                    .map(|n| DateTime::<Utc>::from_naive_utc_and_offset(n, Utc)))
            }
            DataType::Timestamp(unit, None) => {
                let unit = *unit;
                collect!(|i| timestamp(v, unit, i))
            }
            _ => sink.put(&json_list(v)?),
        },
        Type::INTERVAL => collect!(|i| interval(v, i)),
        Type::NUMERIC => match v.data_type() {
            DataType::UInt64 | DataType::Decimal128(..) => collect!(|i| numeric(v, i)),
            _ => collect!(|i| string_of(v, i)),
        },
        _ => collect!(|i| string_of(v, i)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use datafusion::arrow::array::{Decimal128Builder, ListBuilder, UInt64Builder};
    use postgres_types::{FromSql, IsNull};
    use rust_decimal::Decimal;

    /// Keeps a cell's binary encoding.
    struct BinarySink(Type, BytesMut);

    impl CellSink for BinarySink {
        fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()> {
            let is_null = value.to_sql(&self.0, &mut self.1).map_err(|e| {
                datafusion::common::DataFusionError::Execution(format!("encoding: {e}"))
            })?;
            assert!(matches!(is_null, IsNull::No));
            Ok(())
        }
    }

    fn binary(list: ArrayRef) -> Vec<Option<Decimal>> {
        let mut sink = BinarySink(pg_type(list.data_type()), BytesMut::new());
        assert_eq!(sink.0, Type::NUMERIC_ARRAY);
        encode_cell(&mut sink, list.as_ref(), 0).unwrap();
        Vec::<Option<Decimal>>::from_sql(&Type::NUMERIC_ARRAY, &sink.1).unwrap()
    }

    #[test]
    fn numeric_arrays_are_sent_as_binary_numerics() {
        let mut decimals = ListBuilder::new(
            Decimal128Builder::new()
                .with_precision_and_scale(5, 2)
                .unwrap(),
        );
        decimals.values().append_value(125);
        decimals.values().append_null();
        decimals.append(true);
        assert_eq!(
            binary(Arc::new(decimals.finish())),
            vec![Some(Decimal::new(125, 2)), None]
        );

        let mut unsigned = ListBuilder::new(UInt64Builder::new());
        unsigned.values().append_value(u64::MAX);
        unsigned.append(true);
        assert_eq!(
            binary(Arc::new(unsigned.finish())),
            vec![Some(Decimal::from(u64::MAX))]
        );
    }
}
