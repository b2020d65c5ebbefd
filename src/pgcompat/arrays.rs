//! PostgreSQL's array text (`{1,2}`, `{a,"b c"}`, or the vector forms `1 2` and `[1,2]`)
//! parsed into Arrow lists: datafusion-pg-catalog keeps catalog arrays as text.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, Int16Builder, Int32Builder, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};

/// Each text of `column` (a text column) as a list of `element` (text, int2, else int4);
/// NULL stays NULL.
pub fn parse_arrays(column: &ArrayRef, element: &DataType) -> Result<ArrayRef> {
    let texts = column
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| DataFusionError::Internal("array text column is not text".into()))?;
    // Numbers may be separated by spaces (int2vector, oidvector); text items only by commas.
    let number = |c: char| c == ',' || c.is_whitespace();
    Ok(match element {
        DataType::Utf8 => lists(
            texts,
            StringBuilder::new(),
            |c| c == ',',
            |b, item| {
                // `{a,"b c"}`, or `['a', 'b']` in the builtin rows.
                b.append_value(item.trim().trim_matches(|c| c == '"' || c == '\''));
            },
        ),
        DataType::Int16 => lists(texts, Int16Builder::new(), number, |b, item| {
            if let Ok(n) = item.parse::<i64>() {
                b.append_option(i16::try_from(n).ok());
            }
        }),
        _ => lists(texts, Int32Builder::new(), number, |b, item| {
            if let Ok(n) = item.parse::<i64>() {
                b.append_option(i32::try_from(n).ok());
            }
        }),
    })
}

/// Each text of `texts` (`{a,b}`) as a list, its items split at `separator` and appended by
/// `push`; NULL stays NULL.
fn lists<B: ArrayBuilder>(
    texts: &StringArray,
    values: B,
    separator: impl Fn(char) -> bool,
    push: impl Fn(&mut B, &str),
) -> ArrayRef {
    let mut builder = ListBuilder::new(values);
    for text in texts.iter() {
        let Some(text) = text else {
            builder.append(false);
            continue;
        };
        let items = text.trim_matches(|c| matches!(c, '{' | '}' | '[' | ']'));
        for item in items.split(&separator).filter(|i| !i.is_empty()) {
            push(builder.values(), item);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray};

    use super::*;

    #[test]
    fn array_text_becomes_lists() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![Some("{1,3}"), Some("2 4"), None]));
        let lists = parse_arrays(&texts, &DataType::Int16).unwrap();
        let lists = lists
            .as_any()
            .downcast_ref::<datafusion::arrow::array::ListArray>()
            .unwrap();
        assert_eq!(lists.value(0).len(), 2);
        assert_eq!(lists.value(1).len(), 2);
        assert!(lists.is_null(2));
    }

    #[test]
    fn text_items_lose_their_quotes() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["['acl', 'grantor']", "{a,\"b\"}"]));
        let lists = parse_arrays(&texts, &DataType::Utf8).unwrap();
        let lists = lists.as_list::<i32>();
        let first = lists.value(0);
        assert_eq!(first.as_string::<i32>().value(1), "grantor");
        let second = lists.value(1);
        assert_eq!(second.as_string::<i32>().value(1), "b");
    }
}
