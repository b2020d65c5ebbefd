//! `read_media(location [, kind])`: a media location as a table, without declaring it.
//!
//! ```sql
//! SELECT path, width, height FROM read_media('photos/**/*.jpg');
//! SELECT count(*) FROM read_media('s3://bucket/audio/', 'audio');
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::Expr;
use mediasql_udfs::io::StoreRegistry;

use super::factory::media_table;
use super::location::KindFilter;

/// The `read_media` table function.
#[derive(Debug)]
pub struct ReadMedia {
    stores: Arc<StoreRegistry>,
}

impl ReadMedia {
    pub fn new(stores: Arc<StoreRegistry>) -> Self {
        Self { stores }
    }
}

impl TableFunctionImpl for ReadMedia {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let (location, kind) = match args {
            [location] => (string_arg(location, "location")?, None),
            [location, kind] => (
                string_arg(location, "location")?,
                Some(string_arg(kind, "kind")?),
            ),
            _ => {
                return plan_err!(
                    "read_media expects (location [, kind]), got {} arguments",
                    args.len()
                );
            }
        };
        let mut options = HashMap::new();
        if let Some(kind) = kind {
            KindFilter::parse(&kind)?;
            options.insert("kind".to_string(), kind);
        }
        Ok(Arc::new(media_table(&location, &options, &self.stores)?))
    }
}

pub(super) fn string_arg(expr: &Expr, name: &str) -> Result<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Ok(s.clone()),
        other => plan_err!("read_media: {name} must be a string literal, got {other}"),
    }
}
