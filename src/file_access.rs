//! What a plan may do to the server's files: reads and writes only below the media roots
//! (the checks of statements that name files; media locations are checked where resolved).

use datafusion::common::Result;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::{DdlStatement, DmlStatement, LogicalPlan, WriteOp};
use mediasql_udfs::io::{MediaRoots, permission_denied};

/// Refuses the files a plan would read or write outside `roots`: `COPY TO` targets,
/// `CREATE EXTERNAL TABLE` locations and `INSERT` into file-backed tables, also under
/// `EXPLAIN ANALYZE`. Media locations are checked again where they are resolved.
pub fn check_file_access(plan: &LogicalPlan, roots: &MediaRoots) -> Result<()> {
    plan.apply(|node| {
        match node {
            LogicalPlan::Copy(copy) => roots.check_write(&copy.output_url)?,
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(table)) => {
                for location in &table.locations {
                    roots.check_read(location)?;
                }
            }
            LogicalPlan::Dml(dml) if matches!(dml.op, WriteOp::Insert(_)) => {
                check_insert(dml, roots)?;
            }
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map(|_| ())
}

/// An `INSERT` into a table backed by files writes those files.
fn check_insert(dml: &DmlStatement, roots: &MediaRoots) -> Result<()> {
    let provider = source_as_provider(&dml.target)?;
    let Some(listing) = provider.downcast_ref::<ListingTable>() else {
        return Ok(());
    };
    for url in listing.table_paths() {
        roots.check_write(url.as_str())?;
    }
    if listing.table_paths().is_empty() && !roots.writes_allowed() {
        return Err(permission_denied(format!(
            "permission denied to insert into {}: writing files on the server is off",
            dml.table_name
        )));
    }
    Ok(())
}
