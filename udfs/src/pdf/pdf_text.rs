//! `pdf_text(bytes [, on_error])`: the text of a PDF, pages joined by newlines, for chunking and
//! embedding (`chunk_text(pdf_text(content), 500, 50)`).
//!
//! Text comes from the pages' content streams (lopdf); scanned PDFs without a text layer give
//! empty text. A file that is not a readable PDF is a per-row error naming the function, or
//! NULL with `on_error => 'null'`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::Documentation;
use lopdf::Document;

use crate::bytes::function::BytesOp;
use crate::io::download::DOC_SECTION_MEDIA;

const WHAT: &str = "PDF bytes";
const NAME: &str = "pdf_text";

/// The `pdf_text` function (see [`crate::bytes::function::BytesFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct PdfText;

impl BytesOp for PdfText {
    type Out = String;
    const NAME: &'static str = NAME;
    const WHAT: &'static str = WHAT;

    fn return_type() -> DataType {
        DataType::Utf8
    }

    fn apply(&self, bytes: &[u8]) -> std::result::Result<String, String> {
        text(bytes)
    }

    fn finish(rows: Vec<Option<String>>) -> Result<ArrayRef> {
        Ok(Arc::new(StringArray::from(rows)))
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

/// A PDF, parsed; the error says why it is not one.
pub fn load(bytes: &[u8]) -> std::result::Result<Document, String> {
    Document::load_mem(bytes).map_err(|e| format!("not a readable PDF: {e}"))
}

/// The text of every page of a PDF, in page order.
pub fn text(bytes: &[u8]) -> std::result::Result<String, String> {
    let document = load(bytes)?;
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    if pages.is_empty() {
        return Ok(String::new());
    }
    document
        .extract_text(&pages)
        .map(|t| t.trim_end().to_string())
        .map_err(|e| format!("extracting text: {e}"))
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "The text of a PDF (all pages, in order). Unreadable PDFs fail the row, or give NULL \
         with on_error => 'null'.",
        "pdf_text(bytes [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT path, pdf_text(content) FROM read_media('docs/', 'pdf')")
    .with_argument("bytes", "PDF file bytes, e.g. a media table's content.")
    .with_argument("on_error", "'raise' (default) or 'null'.")
    .build()
});

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn reads_the_fixture_and_refuses_garbage() {
        let pdf = include_bytes!("../../../sql-tests/fixtures/pdf/harbor.pdf");
        let t = text(pdf).unwrap();
        assert!(
            t.contains("Seven purple kites flew over the quiet harbor at dawn."),
            "{t}"
        );
        assert!(t.contains("counted every kite twice"), "{t}");
        assert!(text(b"%PDF-1.4 garbage").is_err());
    }
}
