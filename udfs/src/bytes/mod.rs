//! Byte-level functions over `content` columns, and the argument shape that functions of
//! media bytes share.

pub mod function;
pub mod octet_length;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};

/// Whether an argument of type `t` is bytes (any binary, or NULL).
pub fn is_binary(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::Null
    )
}

/// Coerces `(bytes [, on_error])`: any binary (or NULL) to `Binary`, `on_error` to `Utf8`.
/// `what` names the bytes in errors (`PDF bytes`, `audio bytes`).
pub fn coerce_bytes_and_on_error(
    function: &str,
    what: &str,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    match arg_types {
        [b] if is_binary(b) => Ok(vec![DataType::Binary]),
        [b, _] if is_binary(b) => Ok(vec![DataType::Binary, DataType::Utf8]),
        [other, ..] if !is_binary(other) => plan_err!("{function} expects {what}, got {other}"),
        _ => plan_err!("{function} expects ({what} [, on_error])"),
    }
}
