//! `pdf_text(bytes [, on_error])`: the text of a PDF, pages joined by newlines, for chunking and
//! embedding (`chunk_text(pdf_text(content), 500, 50)`).
//!
//! Text comes from the pages' content streams (lopdf); scanned PDFs without a text layer give
//! empty text. A file that is not a readable PDF is a per-row error naming the function, or
//! NULL with `on_error => 'null'`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use lopdf::Document;

use crate::bytes::coerce_bytes_and_on_error;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::on_error::OnError;

const WHAT: &str = "PDF bytes";
const NAME: &str = "pdf_text";

/// The `pdf_text` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PdfText {
    signature: Signature,
}

impl Default for PdfText {
    fn default() -> Self {
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(vec!["bytes", "on_error"])
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature }
    }
}

impl ScalarUDFImpl for PdfText {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_bytes_and_on_error(NAME, WHAT, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(NAME, args.args.get(1))?;
        let Some(bytes) = args.args.first() else {
            return plan_err!("{NAME} expects PDF bytes");
        };
        let bytes = cast(&bytes.to_array(args.number_rows)?, &DataType::Binary)?;
        let bytes = bytes.as_binary::<i32>();
        let mut out = StringBuilder::new();
        for row in 0..bytes.len() {
            if bytes.is_null(row) {
                out.append_null();
                continue;
            }
            match (text(bytes.value(row)), on_error) {
                (Ok(text), _) => out.append_value(text),
                (Err(_), OnError::Null) => out.append_null(),
                (Err(e), OnError::Raise) => return exec_err!("{NAME}: row {row}: {e}"),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
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
