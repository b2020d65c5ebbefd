//! `chunk_text(text, size [, overlap])`: splits text into chunks of at most `size` characters,
//! each starting `overlap` characters before the previous one ended (moved back to the start
//! of that word), cut after whitespace where the window has any. Returns a list, to `unnest` into rows:
//!
//! ```sql
//! SELECT path, unnest(chunk_text(pdf_text(content), 500, 50)) AS chunk FROM pdfs;
//! ```

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, ListBuilder, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::io::download::DOC_SECTION_MEDIA;

const NAME: &str = "chunk_text";

/// The `chunk_text` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ChunkText {
    signature: Signature,
}

impl Default for ChunkText {
    fn default() -> Self {
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(vec!["text", "size", "overlap"])
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature }
    }
}

impl ScalarUDFImpl for ChunkText {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            2 => Ok(vec![DataType::Utf8, DataType::Int64]),
            3 => Ok(vec![DataType::Utf8, DataType::Int64, DataType::Int64]),
            _ => plan_err!("{NAME} expects (text, size [, overlap])"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let size = constant_int(args.args.get(1), "size")?.unwrap_or(0);
        let overlap = constant_int(args.args.get(2), "overlap")?.unwrap_or(0);
        if size <= 0 {
            return plan_err!("{NAME}: size must be a positive number of characters, got {size}");
        }
        if overlap < 0 || overlap >= size {
            return plan_err!(
                "{NAME}: overlap must be at least 0 and less than size ({size}), got {overlap}"
            );
        }
        let Some(texts) = args.args.first() else {
            return plan_err!("{NAME} expects text");
        };
        let texts = cast(&texts.to_array(args.number_rows)?, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let mut builder = ListBuilder::new(StringBuilder::new());
        for row in 0..texts.len() {
            if texts.is_null(row) {
                builder.append(false);
                continue;
            }
            for chunk in chunks(texts.value(row), size as usize, overlap as usize) {
                builder.values().append_value(chunk);
            }
            builder.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(builder.finish())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

fn constant_int(arg: Option<&ColumnarValue>, name: &str) -> Result<Option<i64>> {
    match arg {
        None => Ok(None),
        Some(ColumnarValue::Scalar(ScalarValue::Int64(Some(n)))) => Ok(Some(*n)),
        Some(_) => plan_err!("{NAME}: {name} must be a constant integer"),
    }
}

/// The chunks of `text`: at most `size` characters each, the next starting about `overlap`
/// characters before the previous one ended; cuts fall after whitespace when possible.
pub fn chunks(text: &str, size: usize, overlap: usize) -> Vec<&str> {
    // Byte offset of every character, plus the end.
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let chars = bounds.len() - 1;
    let is_space = |c: usize| text[bounds[c]..].starts_with(char::is_whitespace);
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars {
        let mut end = (start + size).min(chars);
        let mut at_word_boundary = end == chars || is_space(end);
        if !at_word_boundary {
            // Cut after the last whitespace in the window, if there is one past its middle.
            if let Some(space) = (start + size / 2..end).rev().find(|&c| is_space(c)) {
                end = space + 1;
                at_word_boundary = true;
            }
        }
        let chunk = text[bounds[start]..bounds[end]].trim();
        if !chunk.is_empty() {
            out.push(chunk);
        }
        if end == chars {
            break;
        }
        // Step back `overlap` characters, to the start of that word (a word cut in two is
        // overlapped by characters)...
        let mut next = end.saturating_sub(overlap);
        while at_word_boundary && next > start && next < end && !is_space(next - 1) {
            next -= 1;
        }
        // ...unless that is where this chunk began: then on to the next word.
        if next <= start {
            next = start + 1;
            while at_word_boundary && next < end && !is_space(next - 1) {
                next += 1;
            }
        }
        start = next;
    }
    out
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "Splits text into chunks of at most `size` characters, each starting `overlap` \
         characters (back to a word start) before the previous one ended, cut at whitespace \
         where possible; a list to unnest.",
        "chunk_text(text, size [, overlap])",
    )
    .with_sql_example("SELECT unnest(chunk_text(body, 500, 50)) FROM docs")
    .with_argument("text", "The text to split.")
    .with_argument("size", "Largest chunk, in characters.")
    .with_argument(
        "overlap",
        "Characters shared by consecutive chunks (default 0).",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn cuts_at_whitespace_within_size() {
        let text = "seven purple kites flew over the quiet harbor at dawn";
        let out = chunks(text, 20, 0);
        assert!(out.iter().all(|c| c.chars().count() <= 20), "{out:?}");
        assert_eq!(out.join(" "), text);
        assert_eq!(out[0], "seven purple kites");
    }

    #[test]
    fn overlapping_chunks_share_words() {
        let out = chunks("one two three four five six seven eight", 14, 6);
        // Each chunk starts `overlap` characters back, moved to the start of that word.
        let expected = [
            "one two three",
            "three four",
            "four five six",
            "five six seven",
            "six seven",
            "seven eight",
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn handles_unicode_long_words_and_empty_text() {
        assert_eq!(chunks("ééééé", 2, 1), vec!["éé", "éé", "éé", "éé"]);
        assert!(chunks("", 10, 0).is_empty());
    }
}
