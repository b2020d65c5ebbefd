//! `pdf_page_texts(bytes [, on_error])`: a PDF's pages as a list of `{page, text}` (page
//! numbers from 1), for `unnest`; the `pdf_pages(location)` table function is built on it.
//!
//! A page whose text cannot be extracted gets empty text (scanned pages have no text layer);
//! a file that is not a readable PDF is a per-row error, or NULL with `on_error => 'null'`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Int32Builder, ListBuilder, StringBuilder, StructBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::Documentation;

use super::pdf_text::load;
use crate::bytes::function::BytesOp;
use crate::io::download::DOC_SECTION_MEDIA;

const WHAT: &str = "PDF bytes";
const NAME: &str = "pdf_page_texts";

/// The `pdf_page_texts` function (see [`crate::bytes::function::BytesFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct PdfPageTexts;

fn page_fields() -> Fields {
    Fields::from(vec![
        Field::new("page", DataType::Int32, false),
        Field::new("text", DataType::Utf8, false),
    ])
}

fn item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(page_fields()), true))
}

/// `List<Struct<page: Int32, text: Utf8>>`.
pub fn pages_type() -> DataType {
    DataType::List(item())
}

/// (page number, text) of every page, in order.
pub fn page_texts(bytes: &[u8]) -> std::result::Result<Vec<Page>, String> {
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

/// A page: its number and text.
type Page = (u32, String);

impl BytesOp for PdfPageTexts {
    type Out = Vec<Page>;
    const NAME: &'static str = NAME;
    const WHAT: &'static str = WHAT;

    fn return_type() -> DataType {
        pages_type()
    }

    fn apply(&self, bytes: &[u8]) -> std::result::Result<Vec<Page>, String> {
        page_texts(bytes)
    }

    fn finish(rows: Vec<Option<Vec<Page>>>) -> Result<ArrayRef> {
        let pages = StructBuilder::new(
            page_fields(),
            vec![
                Box::new(Int32Builder::new()),
                Box::new(StringBuilder::new()),
            ],
        );
        let mut out = ListBuilder::new(pages).with_field(item());
        for row in rows {
            match row {
                Some(pages) => {
                    append_pages(out.values(), pages);
                    out.append(true);
                }
                None => out.append_null(),
            }
        }
        Ok(Arc::new(out.finish()))
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

fn append_pages(builder: &mut StructBuilder, pages: Vec<Page>) {
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
