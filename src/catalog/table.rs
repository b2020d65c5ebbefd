//! [`MediaTable`]: a media location as a DataFusion `TableProvider`.
//!
//! Planning lists the location (that is how it knows the files to partition), applying
//! pushed-down filters on `path`, `size` and `modified` to the listing itself and stopping at
//! a pushed-down `LIMIT`. Nothing but the listing happens before execution.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, Result, exec_datafusion_err};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use futures::TryStreamExt;

use super::location::{MediaFile, MediaLocation};
use super::scan::{MediaScanExec, ScanOptions};
use super::schema::{listing_batch, listing_schema, media_schema};

/// A table of the files under a [`MediaLocation`].
#[derive(Debug)]
pub struct MediaTable {
    location: Arc<MediaLocation>,
    options: ScanOptions,
}

impl MediaTable {
    pub fn new(location: MediaLocation, options: ScanOptions) -> Self {
        Self {
            location: Arc::new(location),
            options,
        }
    }

    pub fn location(&self) -> &MediaLocation {
        &self.location
    }

    pub fn options(&self) -> ScanOptions {
        self.options
    }

    /// Lists the files matching `predicate`, stopping after `limit` matches.
    async fn list(
        &self,
        predicate: Option<Arc<dyn PhysicalExpr>>,
        limit: Option<usize>,
    ) -> Result<Vec<MediaFile>> {
        const CHUNK: usize = 1024;
        let mut listing = std::pin::pin!(self.location.list().try_chunks(CHUNK));
        let mut files = Vec::new();
        while let Some(chunk) = listing
            .try_next()
            .await
            .map_err(|e| exec_datafusion_err!("listing {}: {}", self.location.original, e.1))?
        {
            let kept = match &predicate {
                Some(p) => filter_listing(chunk, p)?,
                None => chunk,
            };
            files.extend(kept);
            if let Some(limit) = limit
                && files.len() >= limit
            {
                files.truncate(limit);
                return Ok(files);
            }
        }
        // A complete listing is sorted so that results do not depend on the store's order.
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

#[async_trait]
impl TableProvider for MediaTable {
    fn schema(&self) -> SchemaRef {
        media_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if is_listing_filter(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let predicate = match conjunction(filters.iter().cloned()) {
            Some(expr) => {
                let schema = DFSchema::try_from(listing_schema())?;
                Some(state.create_physical_expr(expr, &schema)?)
            }
            None => None,
        };
        let files = self.list(predicate, limit).await?;
        let projection = projection
            .cloned()
            .unwrap_or_else(|| (0..media_schema().fields().len()).collect());
        let target_partitions = state.config().target_partitions();
        Ok(Arc::new(MediaScanExec::for_files(
            Arc::clone(&self.location),
            &files,
            projection,
            target_partitions,
            self.options,
            filters.iter().map(|f| f.to_string()).collect(),
            limit,
        )?))
    }
}

/// Whether `expr` only reads listing columns, so it can run on the listing.
fn is_listing_filter(expr: &Expr) -> bool {
    let listing = listing_schema();
    let columns = expr.column_refs();
    !columns.is_empty()
        && columns
            .iter()
            .all(|c| listing.field_with_name(&c.name).is_ok())
        && !expr.is_volatile()
}

fn filter_listing(
    files: Vec<MediaFile>,
    predicate: &Arc<dyn PhysicalExpr>,
) -> Result<Vec<MediaFile>> {
    let batch = listing_batch(&files)?;
    let mask = predicate.evaluate(&batch)?.into_array(batch.num_rows())?;
    let mask = mask
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| exec_datafusion_err!("media listing filter did not return booleans"))?;
    Ok(files
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask.is_valid(*i) && mask.value(*i))
        .map(|(_, f)| f)
        .collect())
}
