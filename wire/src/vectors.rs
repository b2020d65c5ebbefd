//! `int2vector` and `oidvector`, PostgreSQL's catalog arrays (`pg_index.indkey`,
//! `pg_proc.proargtypes`), whose text is the elements separated by spaces (`23 25`, no
//! braces): clients split it so (pgjdbc's `getProcedureColumns`, psqlODBC's
//! `SQLProcedureColumns`). A list column whose field carries [`PG_TYPE_KEY`] is sent as one:
//! that type in the row description, its text in text results, and in binary results the
//! array format PostgreSQL sends for them too.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use pgwire::api::Type;

/// Field metadata naming the PostgreSQL type of a list column: `int2vector` or `oidvector`.
pub const PG_TYPE_KEY: &str = "mediasql.pg_type";

/// The vector type `field` is sent as, if it is a list column marked as one.
pub fn vector_type(field: &Field) -> Option<Type> {
    if !matches!(field.data_type(), DataType::List(_)) {
        return None;
    }
    match field.metadata().get(PG_TYPE_KEY)?.as_str() {
        "int2vector" => Some(Type::INT2_VECTOR),
        "oidvector" => Some(Type::OID_VECTOR),
        _ => None,
    }
}

/// Each list of `column` as a vector's text (`23 25`); NULL stays NULL.
pub fn vector_text(column: &ArrayRef) -> Result<ArrayRef> {
    let Some(lists) = column.as_list_opt::<i32>() else {
        return exec_err!("a vector column is not a list: {}", column.data_type());
    };
    let items = cast(lists.values(), &DataType::Utf8)?;
    let items = items.as_string::<i32>();
    let mut texts = StringBuilder::new();
    for (row, bounds) in lists.offsets().windows(2).enumerate() {
        if lists.is_null(row) {
            texts.append_null();
            continue;
        }
        let (start, end) = (bounds[0] as usize, bounds[1] as usize);
        let words: Vec<&str> = (start..end)
            .filter(|i| items.is_valid(*i))
            .map(|i| items.value(i))
            .collect();
        texts.append_value(words.join(" "));
    }
    Ok(Arc::new(texts.finish()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use datafusion::arrow::array::{Int32Builder, ListBuilder};

    use super::*;

    #[test]
    fn vectors_are_written_with_spaces() {
        let mut lists = ListBuilder::new(Int32Builder::new());
        lists.append_value([Some(23), Some(25)]);
        lists.append_null();
        lists.append_value([]);
        let column: ArrayRef = Arc::new(lists.finish());
        let text = vector_text(&column).unwrap();
        let text = text.as_string::<i32>();
        assert_eq!(text.value(0), "23 25");
        assert!(text.is_null(1));
        assert_eq!(text.value(2), "");
    }

    #[test]
    fn only_marked_lists_are_vectors() {
        let marked = HashMap::from([(PG_TYPE_KEY.to_string(), "oidvector".to_string())]);
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
        let field = Field::new("proargtypes", list.clone(), true);
        assert_eq!(vector_type(&field), None);
        let field = field.with_metadata(marked.clone());
        assert_eq!(vector_type(&field), Some(Type::OID_VECTOR));
        let text = Field::new("t", DataType::Utf8, true).with_metadata(marked);
        assert_eq!(vector_type(&text), None);
    }
}
