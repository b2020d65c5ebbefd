//! A cached result: one row of a call's output column in Arrow's row format, and back.
//!
//! The row format is compact (a label and score in ~30 bytes, a 384-float embedding in
//! ~2 KB) and exact (floats round-trip bit for bit). Bytes handed to the decoder have passed
//! the store's checksum and come from a key that includes the column's type; the decoder
//! still runs behind `catch_unwind`, so that bytes it cannot read are a miss, not a panic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{DataFusionError, Result};

/// Encodes and decodes the values of one output type.
#[derive(Debug)]
pub struct ValueCodec {
    converter: RowConverter,
}

impl ValueCodec {
    /// A codec for `data_type`; None when the row format cannot hold it.
    pub fn new(data_type: &DataType) -> Option<Self> {
        let fields = [SortField::new(data_type.clone())];
        if !RowConverter::supports_fields(&fields) {
            return None;
        }
        RowConverter::new(fields.to_vec())
            .ok()
            .map(|converter| Self { converter })
    }

    /// Each row's encoding, None for NULL rows (they are not cached).
    pub fn encode(&self, column: &ArrayRef) -> Result<Vec<Option<Vec<u8>>>> {
        let rows = self
            .converter
            .convert_columns(std::slice::from_ref(column))?;
        Ok((0..column.len())
            .map(|i| column.is_valid(i).then(|| rows.row(i).as_ref().to_vec()))
            .collect())
    }

    /// The column of `values`, in order.
    pub fn decode(&self, values: &[&[u8]]) -> Result<ArrayRef> {
        let parser = self.converter.parser();
        let decoded = catch_unwind(AssertUnwindSafe(|| {
            self.converter
                .convert_rows(values.iter().map(|v| parser.parse(v)))
        }));
        match decoded {
            Ok(Ok(mut columns)) if columns.len() == 1 => Ok(columns.remove(0)),
            Ok(Ok(_)) => Err(DataFusionError::Internal(
                "inference cache: a value decoded to several columns".into(),
            )),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(DataFusionError::Internal(
                "inference cache: a value could not be decoded".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Float32Array, ListArray, StringArray, StructArray, as_list_array,
    };
    use datafusion::arrow::buffer::OffsetBuffer;
    use datafusion::arrow::datatypes::{Field, Fields};

    use super::*;

    #[test]
    fn labels_scores_and_embeddings_round_trip_exactly() {
        let fields = Fields::from(vec![
            Field::new("label", DataType::Utf8, true),
            Field::new("score", DataType::Float32, true),
        ]);
        let predictions: ArrayRef = Arc::new(StructArray::new(
            fields,
            vec![
                Arc::new(StringArray::from(vec!["tabby", "tiger cat"])),
                Arc::new(Float32Array::from(vec![
                    0.123_456_79_f32,
                    f32::MIN_POSITIVE,
                ])),
            ],
            None,
        ));
        let embedding: ArrayRef = Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(DataType::Float32, true)),
            OffsetBuffer::from_lengths([3, 2]),
            Arc::new(Float32Array::from(vec![0.1, -0.2, 1e-30, 3.5, -0.0])),
            None,
        ));
        for column in [predictions, embedding] {
            let codec = ValueCodec::new(column.data_type()).unwrap();
            let encoded = codec.encode(&column).unwrap();
            let values: Vec<&[u8]> = encoded.iter().map(|v| v.as_deref().unwrap()).collect();
            let decoded = codec.decode(&values).unwrap();
            assert_eq!(decoded.to_data(), column.to_data());
        }
    }

    #[test]
    fn null_rows_are_not_encoded_and_garbage_is_an_error() {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        let codec = ValueCodec::new(&DataType::Utf8).unwrap();
        let encoded = codec.encode(&column).unwrap();
        assert!(encoded[0].is_some() && encoded[1].is_none());
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float32, true)));
        let codec = ValueCodec::new(&list).unwrap();
        let garbage: &[u8] = &[2, 0, 0, 0, 9];
        if let Ok(array) = codec.decode(&[garbage]) {
            // Whatever it reads, it is a list of floats and not a crash.
            assert_eq!(as_list_array(&array).len(), 1);
        }
    }
}
