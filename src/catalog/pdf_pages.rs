//! `pdf_pages(location [, on_error])`: every page of the PDFs at a location as a row
//! `(path, page, text)`, pages numbered from 1.
//!
//! ```sql
//! SELECT path, page, chunk, embed_text(chunk)
//! FROM (SELECT path, page, unnest(chunk_text(text, 500, 50)) AS chunk FROM pdf_pages('docs/'));
//! ```
//!
//! A view over the media table of the location's PDFs: `unnest(pdf_page_texts(content))`,
//! then the struct's fields. Everything streams: one file's pages are in memory at a time
//! per partition. A file that is not a readable PDF fails the query naming it, or is
//! skipped with `on_error => 'null'`.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::datasource::{ViewTable, provider_as_source};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, col, lit};
use mediasql_udfs::bytes::function::BytesFunction;
use mediasql_udfs::io::StoreRegistry;
use mediasql_udfs::pdf::pdf_page_texts::PdfPageTexts;

use super::factory::media_table;
use super::read_media::string_arg;

/// The `pdf_pages` table function.
#[derive(Debug)]
pub struct PdfPages {
    stores: Arc<StoreRegistry>,
}

impl PdfPages {
    pub fn new(stores: Arc<StoreRegistry>) -> Self {
        Self { stores }
    }
}

impl TableFunctionImpl for PdfPages {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let (location, on_error) = match args {
            [location] => (string_arg(location, "location")?, None),
            [location, on_error] => (
                string_arg(location, "location")?,
                Some(string_arg(on_error, "on_error")?),
            ),
            _ => {
                return plan_err!(
                    "pdf_pages expects (location [, on_error]), got {} arguments",
                    args.len()
                );
            }
        };
        let options = HashMap::from([("kind".to_string(), "pdf".to_string())]);
        let table = media_table(&location, &options, &self.stores)?;
        let mut pages_args = vec![col("content")];
        if let Some(on_error) = on_error {
            mediasql_udfs::on_error::OnError::parse_str("pdf_pages", &on_error)?;
            pages_args.push(lit(ScalarValue::Utf8(Some(on_error))));
        }
        let pages = BytesFunction::<PdfPageTexts>::udf().call(pages_args);
        let plan =
            LogicalPlanBuilder::scan("pdf_pages", provider_as_source(Arc::new(table)), None)?
                .project(vec![col("path"), pages.alias("pages")])?
                .unnest_column("pages")?
                .project(vec![
                    col("path"),
                    get_field(col("pages"), "page").alias("page"),
                    get_field(col("pages"), "text").alias("text"),
                ])?
                .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}
