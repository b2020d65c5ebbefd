//! The server's side of a cluster (`serve --cluster df://HOST:PORT`): a query planner that
//! sends each query reading a media table to the scheduler, as Ballista's client does, and
//! plans every other query here (catalog queries of clients, `SELECT 1`, `SHOW`).
//!
//! What is sent is the logical plan after our analyzer and optimizer rules; the scheduler
//! plans it again with the same rules (`super::scheduler`). Results come back from the
//! executors by Arrow Flight. `EXPLAIN` shows the scheduler's stages; `EXPLAIN ANALYZE` the
//! metrics of every stage's operators.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ballista_core::execution_plans::{DistributedExplainAnalyzeExec, DistributedQueryExec};
use ballista_core::extension::SessionConfigExt;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::source_as_provider;
use datafusion::execution::SessionState;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::protobuf::LogicalPlanNode;

use super::job::ClusterJobExec;
use crate::catalog::MediaTable;
use crate::catalog::video_frames::frames_call;
use crate::parts::Parts;

/// `state` planning media queries on the scheduler at `url`. (The server only encodes plans:
/// its codec needs no functions to look up.)
pub fn state(url: &str, state: SessionState, parts: &Parts) -> Result<SessionState> {
    let (host, port) = super::parse_address(url)?;
    let codec = super::logical_codec(parts, &state);
    let planner = ClusterPlanner {
        scheduler: format!("http://{host}:{port}"),
        codec,
    };
    Ok(crate::rebuild::rebuilt(&state, |builder| {
        builder.with_query_planner(Arc::new(planner))
    }))
}

/// Plans media queries as distributed jobs (see the module docs).
struct ClusterPlanner {
    scheduler: String,
    codec: Arc<dyn LogicalExtensionCodec>,
}

impl fmt::Debug for ClusterPlanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClusterPlanner({})", self.scheduler)
    }
}

#[async_trait]
impl QueryPlanner for ClusterPlanner {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !reads_media(plan)? {
            return DefaultPhysicalPlanner::default()
                .create_physical_plan(plan, session)
                .await;
        }
        let config = session.config().ballista_config();
        let job = |plan: LogicalPlan| {
            Arc::new(DistributedQueryExec::<LogicalPlanNode>::with_extension(
                self.scheduler.clone(),
                config.clone(),
                plan,
                Arc::clone(&self.codec),
                session.session_id().to_string(),
            ))
        };
        Ok(match plan {
            LogicalPlan::Analyze(analyze) => Arc::new(DistributedExplainAnalyzeExec::new(
                job(analyze.input.as_ref().clone()),
                self.scheduler.clone(),
                Arc::clone(analyze.schema.inner()),
                analyze.verbose,
            )),
            _ => Arc::new(ClusterJobExec::new(
                job(plan.clone()),
                self.scheduler.clone(),
            )),
        })
    }
}

/// Whether `plan` scans a media table (subqueries included).
fn reads_media(plan: &LogicalPlan) -> Result<bool> {
    let mut found = false;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && source_as_provider(&scan.source)
                .is_ok_and(|p| p.is::<MediaTable>() || frames_call(p.as_ref()).is_some())
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(found)
}
