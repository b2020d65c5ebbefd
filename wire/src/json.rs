//! Cells of nested types (structs, maps, lists of nested types) as JSON, the way they are
//! sent.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt32Type, UInt64Type};
use datafusion::common::Result;
use serde_json::Value;

use crate::values::{float, int, list_values, small_int, string, string_of};

/// A cell of a nested type (struct, map, list of nested) as JSON.
pub fn cell_json(a: &dyn Array, i: usize) -> Result<Value> {
    if a.is_null(i) {
        return Ok(Value::Null);
    }
    Ok(match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::Int32 | DataType::UInt16 => {
            Value::from(i64::from(int_wide(a, i)?))
        }
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt32 => Value::from(a.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => Value::from(a.as_primitive::<UInt64Type>().value(i)),
        DataType::Float16 | DataType::Float32 => Value::from(f64::from(float(a, i)?)),
        DataType::Float64 => Value::from(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Value::String(string(a, i)?),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            json_list(list_values(a, i)?.as_ref())?
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut object = serde_json::Map::new();
            for (field, column) in fields.iter().zip(s.columns()) {
                object.insert(field.name().clone(), cell_json(column.as_ref(), i)?);
            }
            Value::Object(object)
        }
        DataType::Map(..) => {
            let entries = a.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut object = serde_json::Map::new();
            for e in 0..entries.len() {
                object.insert(string_of(keys.as_ref(), e)?, cell_json(values.as_ref(), e)?);
            }
            Value::Object(object)
        }
        _ => Value::String(string_of(a, i)?),
    })
}

fn int_wide(a: &dyn Array, i: usize) -> Result<i32> {
    Ok(match a.data_type() {
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => i32::from(small_int(a, i)?),
        _ => int(a, i)?,
    })
}

pub fn json_list(values: &dyn Array) -> Result<Value> {
    Ok(Value::Array(
        (0..values.len())
            .map(|j| cell_json(values, j))
            .collect::<Result<_>>()?,
    ))
}
