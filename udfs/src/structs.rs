//! Struct results whose NULL rows have NULL fields: `decode_image(x, on_error => 'null')`
//! on a broken file gives NULL for the struct *and* for `['width']`, not 0.

use datafusion::arrow::array::{ArrayRef, BooleanArray, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::kernels::{boolean::not, nullif::nullif};
use datafusion::arrow::datatypes::Fields;
use datafusion::common::Result;

/// A struct array of `columns` (one per field of `fields`, all nullable) in which the rows
/// `valid` marks false are NULL, struct and fields alike.
pub fn struct_array(
    fields: Fields,
    columns: Vec<ArrayRef>,
    valid: Option<Vec<bool>>,
) -> Result<StructArray> {
    let Some(valid) = valid else {
        return Ok(StructArray::try_new(fields, columns, None)?);
    };
    let invalid = not(&BooleanArray::from(valid.clone()))?;
    let columns = columns
        .iter()
        .map(|c| nullif(c.as_ref(), &invalid))
        .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
    Ok(StructArray::try_new(
        fields,
        columns,
        Some(NullBuffer::from(valid)),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, UInt32Array};
    use datafusion::arrow::datatypes::{DataType, Field};

    #[test]
    fn null_rows_have_null_fields() {
        let fields = Fields::from(vec![Field::new("width", DataType::UInt32, true)]);
        let widths: ArrayRef = Arc::new(UInt32Array::from(vec![600, 0]));
        let array = struct_array(fields, vec![widths], Some(vec![true, false])).unwrap();
        assert!(array.is_null(1));
        assert!(array.column(0).is_null(1));
        assert!(array.column(0).is_valid(0));
    }
}
