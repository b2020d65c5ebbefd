//! `pdf_page_texts(bytes [, on_error])`: a PDF's pages as a list of `{page, text}` (page
//! numbers from 1), for `unnest`; the `pdf_pages(location)` table function is built on it.
//!
//! A page whose text cannot be extracted gets empty text (scanned pages have no text layer);
//! a file that is not a readable PDF is a per-row error, or NULL with `on_error => 'null'`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Builder, ListBuilder, StringBuilder, StructBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::pdf_text::load;
use crate::bytes::coerce_bytes_and_on_error;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::on_error::OnError;

const WHAT: &str = "PDF bytes";
const NAME: &str = "pdf_page_texts";

/// The `pdf_page_texts` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PdfPageTexts {
    signature: Signature,
}

impl Default for PdfPageTexts {
    fn default() -> Self {
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(vec!["bytes", "on_error"])
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature }
    }
}

fn page_fields() -> Fields {
    Fields::from(vec![
        Field::new("page", DataType::Int32, false),
        Field::new("text", DataType::Utf8, false),
    ])
}

/// `List<Struct<page: Int32, text: Utf8>>`.
pub fn pages_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(page_fields()),
        true,
    )))
}

/// (page number, text) of every page, in order.
pub fn page_texts(bytes: &[u8]) -> std::result::Result<Vec<(u32, String)>, String> {
    let document = load(bytes)?;
    Ok(document
        .get_pages()
        .into_keys()
        .map(|page| {
            let text = document.extract_text(&[page]).unwrap_or_default();
            (page, text.trim_end().to_string())
        })
        .collect())
}

impl ScalarUDFImpl for PdfPageTexts {
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
        Ok(pages_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(NAME, args.args.get(1))?;
        let Some(bytes) = args.args.first() else {
            return plan_err!("{NAME} expects PDF bytes");
        };
        let bytes = cast(&bytes.to_array(args.number_rows)?, &DataType::Binary)?;
        let bytes = bytes.as_binary::<i32>();
        let pages = StructBuilder::new(
            page_fields(),
            vec![
                Box::new(Int32Builder::new()),
                Box::new(StringBuilder::new()),
            ],
        );
        let mut out = ListBuilder::new(pages).with_field(Arc::new(Field::new(
            "item",
            DataType::Struct(page_fields()),
            true,
        )));
        for row in 0..bytes.len() {
            if bytes.is_null(row) {
                out.append_null();
                continue;
            }
            match (page_texts(bytes.value(row)), on_error) {
                (Ok(pages), _) => {
                    append_pages(out.values(), pages);
                    out.append(true);
                }
                (Err(_), OnError::Null) => out.append_null(),
                (Err(e), OnError::Raise) => return exec_err!("{NAME}: row {row}: {e}"),
            }
        }
        let array: ArrayRef = Arc::new(out.finish());
        Ok(ColumnarValue::Array(array))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

fn append_pages(builder: &mut StructBuilder, pages: Vec<(u32, String)>) {
    for (page, text) in pages {
        if let Some(b) = builder.field_builder::<Int32Builder>(0) {
            b.append_value(page as i32);
        }
        if let Some(b) = builder.field_builder::<StringBuilder>(1) {
            b.append_value(text);
        }
        builder.append(true);
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "A PDF's pages as a list of {page, text} (pages numbered from 1), for unnest. \
         Unreadable PDFs fail the row, or give NULL with on_error => 'null'.",
        "pdf_page_texts(bytes [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT path, unnest(pdf_page_texts(content)) FROM read_media('docs/', 'pdf')",
    )
    .with_argument("bytes", "PDF file bytes, e.g. a media table's content.")
    .with_argument("on_error", "'raise' (default) or 'null'.")
    .build()
});

#[cfg(test)]
mod tests {
    use super::page_texts;

    #[test]
    fn splits_the_fixture_into_its_two_pages() {
        let pdf = include_bytes!("../../../sql-tests/fixtures/pdf/harbor.pdf");
        let pages = page_texts(pdf).unwrap();
        assert_eq!(pages.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!(pages[0].1.contains("Seven purple kites"), "{}", pages[0].1);
        assert!(page_texts(b"%PDF-1.4 garbage").is_err());
    }
}
