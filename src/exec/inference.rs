//! [`InferenceExec`]: one model pass over the rows of its input, and the columns of every
//! model function call answered by that pass.
//!
//! - **Batching**: input rows are re-batched across input batches to the pass's batch size
//!   (`mediasql.batch_size`, else the model's own); the tail is flushed at end of input.
//! - **Pipeline**: per partition, a driver task pulls input and submits each batch's
//!   prepare stage (decode, resize, tokenize, resample) to the CPU pool, and runs the model
//!   on the inference pool ([`crate::pools`]; the pipeline is in `inference_pipeline.rs`);
//!   while the model runs batch k, batches k+1.. are read and decoded. The operator holds
//!   at most `max_in_flight` batches preparing, prepared, queued for or on the model, over
//!   all its partitions, and each partition may always hold one (`budget.rs`). One forward
//!   pass serves every call grouped on it (`classify(content)` and `embed_image(content)`
//!   read the same run).
//! - **Ordering**: output rows are the input rows in input order, with one column appended
//!   per call; orderings and partitioning of the input are kept.
//! - **Partitioning**: one pipeline per input partition.
//! - **Memory**: each batch in flight reserves what preparing it makes (the model's input
//!   tensor; the input rows are accounted by the operator that made them) in DataFusion's
//!   memory pool before it is submitted. When a reservation fails, fewer batches are kept in
//!   flight; when not even one fits, the pipeline waits up to 5 s for other operators to
//!   free memory (meanwhile the operator's other partitions take no more memory, so that
//!   partitions take turns), then fails with a resources error (SQLSTATE 53200).
//! - **Errors**: a per-row error of a pass or a call fails the query, naming the row's file
//!   where the call was given one (see `mediasql_udfs::sourced`); calls with
//!   `on_error => 'null'` give NULL instead, as they do outside the operator.
//! - **Cancellation**: dropping the output stream (cancel, LIMIT reached, client gone,
//!   statement timeout) aborts the driver; queued prepare and model jobs are skipped, and
//!   at most the batch running on the model finishes.
//!
//! - **Cache**: with the inference cache on, each chunk's rows are looked up first; only
//!   misses are prepared and run (`super::cached`). Over a scan whose `content` is
//!   deferred, it reads the missed rows' bodies itself (`reads=missed bodies`).
//!
//! EXPLAIN ANALYZE shows `cache_hits`, `cache_misses`, `cache_lookup_time`, `bodies_read`,
//! `bytes_not_read`, `model_rows`, `model_batches`, `batch_fill_pct` (mean fill of
//! model batches, over all partitions), `prepare_time`, `model_time`, `input_wait_time`
//! (time a partition's pipeline waited for prepared input) and `peak_bytes_in_flight`
//! (summed over partitions).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use datafusion::arrow::datatypes::{FieldRef, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, internal_err};
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::equivalence::ProjectionMapping;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PhysicalExpr,
    PlanProperties,
};
use mediasql_udfs::models::{Head, ModelPass};

use super::budget::Budget;
use super::cached::{CacheMetrics, CallCache, OperatorCache};
use super::inference_pipeline::{BatchFill, Driver, Filler, InferenceMetrics};
use super::options::MediasqlOptions;
use super::progress::Progress;
use crate::cache::InferenceCache;
use crate::cache::body_source::BodySource;

/// One model function call answered by an [`InferenceExec`]: its output column.
#[derive(Clone)]
pub struct InferenceCall {
    /// The call as planned (shown by EXPLAIN).
    pub expr: Arc<dyn PhysicalExpr>,
    /// The output column.
    pub field: FieldRef,
    /// Makes the column from the pass output.
    pub head: Head,
    /// How its results are kept in the inference cache (None: they are not).
    pub cache: Option<Arc<CallCache>>,
}

impl fmt::Debug for InferenceCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)
    }
}

/// How an operator batches: rows per model call, batches ahead of the model, device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batching {
    pub batch_size: usize,
    pub max_in_flight: usize,
    pub device: String,
}

/// Runs one model pass over its input (see the module docs).
#[derive(Debug)]
pub struct InferenceExec {
    input: Arc<dyn ExecutionPlan>,
    pass: Arc<dyn ModelPass>,
    /// The pass's input column, evaluated on each input batch.
    argument: Arc<dyn PhysicalExpr>,
    /// The rows' files, naming them in per-row errors (calls over a media table's content).
    paths: Option<Arc<dyn PhysicalExpr>>,
    calls: Vec<InferenceCall>,
    batching: Batching,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
    batch_fill: BatchFill,
    /// Partitions waiting for memory (shared by this operator's partitions).
    starved: Arc<AtomicUsize>,
    /// Batches in flight (shared by this operator's partitions).
    budget: Budget,
    /// Where the bodies of its input's rows are read when the scan below defers them
    /// ([`super::DeferContentReads`]): only for the rows the inference cache misses.
    source: Option<Arc<dyn BodySource>>,
}

impl InferenceExec {
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        pass: Arc<dyn ModelPass>,
        argument: Arc<dyn PhysicalExpr>,
        paths: Option<Arc<dyn PhysicalExpr>>,
        calls: Vec<InferenceCall>,
        batching: Batching,
    ) -> Result<Self> {
        let input_schema = input.schema();
        let fields = input_schema
            .fields()
            .iter()
            .cloned()
            .chain(calls.iter().map(|c| Arc::clone(&c.field)));
        let schema = Arc::new(Schema::new_with_metadata(
            fields.collect::<Vec<_>>(),
            input_schema.metadata().clone(),
        ));
        let columns = input_schema.fields().iter().enumerate().map(|(i, f)| {
            let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(f.name(), i));
            (column, f.name().clone())
        });
        let outputs = calls
            .iter()
            .map(|c| (Arc::clone(&c.expr), c.field.name().clone()));
        let mapping = ProjectionMapping::try_new(columns.chain(outputs), &input_schema)?;
        let properties = PlanProperties::new(
            input
                .equivalence_properties()
                .project(&mapping, Arc::clone(&schema)),
            input.output_partitioning().clone(),
            input.pipeline_behavior(),
            input.boundedness(),
        );
        let metrics = ExecutionPlanMetricsSet::new();
        let budget = Budget::new(batching.max_in_flight);
        Ok(Self {
            input,
            pass,
            argument,
            paths,
            calls,
            batching,
            schema,
            properties: Arc::new(properties),
            batch_fill: BatchFill::new(&metrics),
            metrics,
            starved: Arc::default(),
            budget,
            source: None,
        })
    }

    /// The same operator over `input`, a plan whose `content` is deferred: the bodies of the
    /// rows the cache misses are read from `source`.
    pub fn with_deferred_input(
        &self,
        input: Arc<dyn ExecutionPlan>,
        source: Arc<dyn BodySource>,
    ) -> Result<Self> {
        self.over(input, Some(source))
    }

    /// This operator over `input`, its bodies read from `source` (deferred content).
    fn over(
        &self,
        input: Arc<dyn ExecutionPlan>,
        source: Option<Arc<dyn BodySource>>,
    ) -> Result<Self> {
        let mut exec = Self::try_new(
            input,
            Arc::clone(&self.pass),
            Arc::clone(&self.argument),
            self.paths.clone(),
            self.calls.clone(),
            self.batching.clone(),
        )?;
        exec.source = source;
        Ok(exec)
    }

    /// Whether it reads its rows' bodies itself (deferred content).
    pub fn reads_bodies(&self) -> bool {
        self.source.is_some()
    }

    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }

    /// The model pass this operator runs.
    pub fn pass(&self) -> &Arc<dyn ModelPass> {
        &self.pass
    }

    /// The pass's input column.
    pub fn argument(&self) -> &Arc<dyn PhysicalExpr> {
        &self.argument
    }

    pub fn paths(&self) -> Option<&Arc<dyn PhysicalExpr>> {
        self.paths.as_ref()
    }

    pub fn calls(&self) -> &[InferenceCall] {
        &self.calls
    }

    pub fn batching(&self) -> &Batching {
        &self.batching
    }
}

impl DisplayAs for InferenceExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let calls: Vec<String> = self.calls.iter().map(|c| c.expr.to_string()).collect();
        let Batching {
            batch_size,
            max_in_flight,
            device,
        } = &self.batching;
        let model = self.pass.model();
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(
                    f,
                    "InferenceExec: model={model}, device={device}, batch_size={batch_size}, \
                     max_in_flight={max_in_flight}, calls=[{}]",
                    calls.join(", ")
                )?;
                if self.source.is_some() {
                    write!(f, ", reads=missed bodies")?;
                }
                Ok(())
            }
            DisplayFormatType::TreeRender => {
                writeln!(f, "model={model}")?;
                writeln!(f, "device={device}")?;
                writeln!(f, "batch_size={batch_size}")?;
                writeln!(f, "max_in_flight={max_in_flight}")?;
                writeln!(f, "calls={}", calls.join(", "))
            }
        }
    }
}

impl ExecutionPlan for InferenceExec {
    fn name(&self) -> &str {
        "InferenceExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let mut recursion = f(&self.argument)?;
        for expr in self.paths.iter().chain(self.calls.iter().map(|c| &c.expr)) {
            if recursion == TreeNodeRecursion::Stop {
                break;
            }
            recursion = f(expr)?;
        }
        Ok(recursion)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return internal_err!("InferenceExec has one child, got {}", children.len());
        }
        Ok(Arc::new(
            self.over(children.swap_remove(0), self.source.clone())?,
        ))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let reservation = MemoryConsumer::new(format!("InferenceExec[{partition}]"))
            .register(context.memory_pool());
        let mut driver = Driver {
            pass: Arc::clone(&self.pass),
            argument: Arc::clone(&self.argument),
            paths: self.paths.clone(),
            heads: self.calls.iter().map(|c| Arc::clone(&c.head)).collect(),
            schema: Arc::clone(&self.schema),
            metrics: InferenceMetrics::new(&self.metrics, partition, self.batch_fill.clone()),
            progress: Progress::of(&context),
            filler: Filler::new(
                input,
                self.batching.batch_size.max(1),
                self.budget.clone(),
                reservation,
                Arc::clone(context.memory_pool()),
                Arc::clone(&self.starved),
            ),
            cache: None,
            source: None,
        };
        let calls: Vec<_> = self.calls.iter().map(|c| c.cache.clone()).collect();
        let options = MediasqlOptions::from_config(context.session_config().options());
        let cache = OperatorCache::new(
            context.session_config().get_extension::<InferenceCache>(),
            options.cache_mode(),
            self.pass.model(),
            &calls,
            CacheMetrics::new(&self.metrics, partition),
            self.source.clone(),
        );
        driver.cache = cache.map(Arc::new);
        driver.source = self.source.clone();
        let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&self.schema), 2);
        let tx = builder.tx();
        builder.spawn(driver.run(tx));
        Ok(builder.build())
    }
}
