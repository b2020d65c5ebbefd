//! The Postgres type each Arrow column is sent as, and a result's row description.
//!
//! | Arrow | Postgres |
//! |---|---|
//! | Boolean | bool |
//! | Int8, Int16, UInt8 / Int32, UInt16 / Int64, UInt32 | int2 / int4 / int8 (unsigned → next wider signed) |
//! | UInt64, Decimal128 | numeric |
//! | Float16, Float32 / Float64 | float4 / float8 |
//! | Utf8, LargeUtf8, Utf8View | text |
//! | Binary, LargeBinary, BinaryView, FixedSizeBinary | bytea |
//! | Date32, Date64 / Time32, Time64 | date / time |
//! | Timestamp without / with time zone | timestamp / timestamptz |
//! | Interval, Duration | interval |
//! | List, LargeList, FixedSizeList of a scalar type | that type's array |
//! | Struct, Map, lists of nested types | json (text) |
//! | Dictionary | its value type |
//! | List marked `int2vector` / `oidvector` ([`crate::vectors`]) | that type |

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::types::format::FormatOptions;

use crate::vectors::vector_type;

/// The Postgres type a column of `dt` is sent as.
pub fn pg_type(dt: &DataType) -> Type {
    match dt {
        DataType::Null => Type::TEXT,
        DataType::Boolean => Type::BOOL,
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => Type::INT2,
        DataType::Int32 | DataType::UInt16 => Type::INT4,
        DataType::Int64 | DataType::UInt32 => Type::INT8,
        DataType::UInt64 | DataType::Decimal32(..) | DataType::Decimal64(..) => Type::NUMERIC,
        DataType::Decimal128(..) | DataType::Decimal256(..) => Type::NUMERIC,
        DataType::Float16 | DataType::Float32 => Type::FLOAT4,
        DataType::Float64 => Type::FLOAT8,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Type::TEXT,
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => Type::BYTEA,
        DataType::Date32 | DataType::Date64 => Type::DATE,
        DataType::Time32(_) | DataType::Time64(_) => Type::TIME,
        DataType::Timestamp(_, None) => Type::TIMESTAMP,
        DataType::Timestamp(_, Some(_)) => Type::TIMESTAMPTZ,
        DataType::Interval(_) | DataType::Duration(_) => Type::INTERVAL,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            array_type(f.data_type())
        }
        DataType::Dictionary(_, value) => pg_type(value),
        _ => Type::JSON,
    }
}

/// The Postgres array type of a list of `element`s (`json` where there is none).
pub fn array_type(element: &DataType) -> Type {
    match pg_type(element) {
        Type::BOOL => Type::BOOL_ARRAY,
        Type::INT2 => Type::INT2_ARRAY,
        Type::INT4 => Type::INT4_ARRAY,
        Type::INT8 => Type::INT8_ARRAY,
        Type::FLOAT4 => Type::FLOAT4_ARRAY,
        Type::FLOAT8 => Type::FLOAT8_ARRAY,
        Type::NUMERIC => Type::NUMERIC_ARRAY,
        Type::TEXT => Type::TEXT_ARRAY,
        Type::BYTEA => Type::BYTEA_ARRAY,
        Type::DATE => Type::DATE_ARRAY,
        Type::TIME => Type::TIME_ARRAY,
        Type::TIMESTAMP => Type::TIMESTAMP_ARRAY,
        Type::TIMESTAMPTZ => Type::TIMESTAMPTZ_ARRAY,
        Type::INTERVAL => Type::INTERVAL_ARRAY,
        _ => Type::JSON,
    }
}

/// Row description of `schema`; `format(i)` picks text or binary per column.
pub fn pg_fields(
    schema: &Schema,
    format: impl Fn(usize) -> FieldFormat,
    options: &Arc<FormatOptions>,
) -> Vec<FieldInfo> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            FieldInfo::new(
                client_name(f.name()),
                None,
                None,
                vector_type(f).unwrap_or_else(|| pg_type(f.data_type())),
                format(i),
            )
            .with_format_options(Arc::clone(options))
        })
        .collect()
}

/// The column name a client sees. DataFusion needs unique names where PostgreSQL repeats
/// them: datafusion-pg-catalog renames `x` in `SELECT x, t.*` to `__alias_x`, and mediasql
/// names the second `count` of a select list `__alias_<position>_count`; both are `x` and
/// `count` here.
fn client_name(name: &str) -> String {
    let Some(rest) = name.strip_prefix("__alias_") else {
        return name.to_string();
    };
    let numbered = rest
        .split_once('_')
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    numbered.map_or(rest, |(_, name)| name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_see_the_names_postgresql_gives() {
        assert_eq!(client_name("count"), "count");
        assert_eq!(client_name("__alias_oid"), "oid");
        assert_eq!(client_name("__alias_3_count"), "count");
        assert_eq!(client_name("__alias_0_?column?"), "?column?");
        assert_eq!(client_name("__alias_x_y"), "x_y");
    }
}
