//! `CREATE EXTERNAL TABLE name STORED AS MEDIA LOCATION '...' [OPTIONS (...)]`.
//!
//! Options: `kind` (`image`, `audio`, `video`, `pdf`, `any`), `batch_bytes`, `max_in_flight`,
//! and S3 settings (`aws.endpoint`, `aws.region`, `aws.access_key_id`,
//! `aws.secret_access_key`, `aws.session_token`, `aws.allow_http`) over the AWS environment.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::logical_expr::CreateExternalTable;
use mediasql_udfs::io::StoreRegistry;

use super::location::{KindFilter, MediaLocation};
use super::scan::ScanOptions;
use super::table::MediaTable;

/// Makes [`MediaTable`]s for `STORED AS MEDIA`.
#[derive(Debug)]
pub struct MediaTableFactory {
    stores: Arc<StoreRegistry>,
}

impl MediaTableFactory {
    pub fn new(stores: Arc<StoreRegistry>) -> Self {
        Self { stores }
    }
}

#[async_trait]
impl TableProviderFactory for MediaTableFactory {
    async fn create(
        &self,
        _state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        if !cmd.schema.fields().is_empty() {
            return plan_err!(
                "media table {}: columns are fixed (path, size, modified, mime, ...); omit the column list",
                cmd.name
            );
        }
        let [location] = cmd.locations.as_slice() else {
            return plan_err!("media table {}: expected one LOCATION", cmd.name);
        };
        let table = media_table(location, &cmd.options, &self.stores)?;
        Ok(Arc::new(table))
    }
}

/// Builds a media table from a location and `OPTIONS`; shared by the factory, the config
/// file and the command line.
pub fn media_table(
    location: &str,
    options: &HashMap<String, String>,
    stores: &StoreRegistry,
) -> Result<MediaTable> {
    let mut scan = ScanOptions::default();
    let mut kind = KindFilter::Any;
    let mut store_options = HashMap::new();
    for (key, value) in options {
        // DataFusion files `OPTIONS` keys without a prefix under `format.`.
        let key = key.strip_prefix("format.").unwrap_or(key);
        match key {
            "kind" => kind = KindFilter::parse(value)?,
            "batch_bytes" => scan.batch_bytes = parse_positive(key, value)?,
            "max_in_flight" => scan.max_in_flight = parse_positive(key, value)?,
            k if k.starts_with("aws.") || k.starts_with("aws_") => {
                store_options.insert(key.to_string(), value.clone());
            }
            other => {
                return plan_err!(
                    "unknown media table option '{other}': expected kind, batch_bytes, max_in_flight or aws.*"
                );
            }
        }
    }
    let location = MediaLocation::parse(location, kind, stores, &store_options)?;
    Ok(MediaTable::new(location, scan))
}

fn parse_positive(key: &str, value: &str) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(DataFusionError::Plan(format!(
            "media table option '{key}' must be a positive integer, got '{value}'"
        ))),
    }
}
