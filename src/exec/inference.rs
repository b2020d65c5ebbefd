//! [`InferenceExec`]: one model pass over the rows of its input, and the columns of every
//! model function call answered by that pass.
//!
//! - **Batching**: input rows are re-batched across input batches to the pass's batch size
//!   (`mediasql.batch_size`, else the model's own); the tail is flushed at end of input.
//! - **Pipeline**: per partition, a driver task pulls input and submits each batch's
//!   prepare stage (decode, resize, tokenize, resample) to the CPU pool, keeping at most
//!   `max_in_flight` batches prepared or preparing, and runs the model on the inference
//!   pool ([`crate::pools`]); while the model runs batch k, batches k+1.. are read and
//!   decoded. One forward pass serves every call grouped on it (`classify(content)` and
//!   `embed_image(content)` read the same run).
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
//! EXPLAIN ANALYZE shows `model_rows`, `model_batches`, `batch_fill_pct` (mean fill of
//! model batches, over all partitions), `prepare_time`, `model_time`, `input_wait_time`
//! (time a partition's pipeline waited for prepared input) and `peak_bytes_in_flight`
//! (summed over partitions).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{FieldRef, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, exec_err, internal_err};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::equivalence::ProjectionMapping;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, Gauge, MetricBuilder, MetricsSet, Time,
};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PhysicalExpr,
    PlanProperties,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use mediasql_udfs::models::{Head, ModelPass, PassOutput, Prepared};
use tokio::sync::mpsc::Sender;

use super::progress::Progress;
use super::rebatch::{Chunk, Rebatcher};
use crate::pools;

/// One model function call answered by an [`InferenceExec`]: its output column.
#[derive(Clone)]
pub struct InferenceCall {
    /// The call as planned (shown by EXPLAIN).
    pub expr: Arc<dyn PhysicalExpr>,
    /// The output column.
    pub field: FieldRef,
    /// Makes the column from the pass output.
    pub head: Head,
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
        })
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
            DisplayFormatType::Default | DisplayFormatType::Verbose => write!(
                f,
                "InferenceExec: model={model}, device={device}, batch_size={batch_size}, \
                 max_in_flight={max_in_flight}, calls=[{}]",
                calls.join(", ")
            ),
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
        Ok(Arc::new(Self::try_new(
            children.swap_remove(0),
            Arc::clone(&self.pass),
            Arc::clone(&self.argument),
            self.paths.clone(),
            self.calls.clone(),
            self.batching.clone(),
        )?))
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
        let driver = Driver {
            pass: Arc::clone(&self.pass),
            argument: Arc::clone(&self.argument),
            paths: self.paths.clone(),
            heads: self.calls.iter().map(|c| Arc::clone(&c.head)).collect(),
            schema: Arc::clone(&self.schema),
            max_in_flight: self.batching.max_in_flight.max(1),
            metrics: InferenceMetrics::new(&self.metrics, partition, self.batch_fill.clone()),
            progress: Progress::of(&context),
            filler: Filler {
                input,
                rebatcher: Rebatcher::new(self.batching.batch_size.max(1)),
                input_done: false,
                held: None,
                in_flight: VecDeque::new(),
                reservation,
                pool: Arc::clone(context.memory_pool()),
                starved: Arc::clone(&self.starved),
            },
        };
        let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&self.schema), 2);
        let tx = builder.tx();
        builder.spawn(driver.run(tx));
        Ok(builder.build())
    }
}

/// The mean fill of model batches over every partition (a gauge per partition would be
/// summed by EXPLAIN ANALYZE).
#[derive(Debug, Clone)]
struct BatchFill {
    gauge: Gauge,
    rows: Count,
    capacity: Count,
}

impl BatchFill {
    fn new(metrics: &ExecutionPlanMetricsSet) -> Self {
        Self {
            gauge: MetricBuilder::new(metrics).global_gauge("batch_fill_pct"),
            rows: Count::new(),
            capacity: Count::new(),
        }
    }

    fn add(&self, rows: usize, batch_size: usize) {
        self.rows.add(rows);
        self.capacity.add(batch_size.max(1));
        self.gauge
            .set(self.rows.value() * 100 / self.capacity.value().max(1));
    }
}

/// Counters shown by EXPLAIN ANALYZE.
#[derive(Debug, Clone)]
struct InferenceMetrics {
    baseline: BaselineMetrics,
    model_rows: Count,
    model_batches: Count,
    batch_fill: BatchFill,
    prepare_time: Time,
    model_time: Time,
    input_wait_time: Time,
    peak_bytes_in_flight: Gauge,
}

impl InferenceMetrics {
    fn new(metrics: &ExecutionPlanMetricsSet, partition: usize, batch_fill: BatchFill) -> Self {
        let builder = || MetricBuilder::new(metrics);
        Self {
            baseline: BaselineMetrics::new(metrics, partition),
            model_rows: builder().counter("model_rows", partition),
            model_batches: builder().counter("model_batches", partition),
            batch_fill,
            prepare_time: builder().subset_time("prepare_time", partition),
            model_time: builder().subset_time("model_time", partition),
            input_wait_time: builder().subset_time("input_wait_time", partition),
            peak_bytes_in_flight: builder().gauge("peak_bytes_in_flight", partition),
        }
    }

    fn batch_done(&self, rows: usize, batch_size: usize) {
        self.model_rows.add(rows);
        self.model_batches.add(1);
        self.batch_fill.add(rows, batch_size);
    }
}

/// A chunk submitted to the prepare stage.
struct InFlight {
    chunk: Chunk,
    prepared: BoxFuture<'static, Result<Prepared>>,
    /// Bytes reserved for it.
    bytes: usize,
}

/// Keeps the prepare stage fed: pulls input, re-batches it, submits chunks to the CPU pool.
struct Filler {
    input: SendableRecordBatchStream,
    rebatcher: Rebatcher,
    input_done: bool,
    /// A chunk waiting for memory to be freed.
    held: Option<Chunk>,
    in_flight: VecDeque<InFlight>,
    reservation: MemoryReservation,
    pool: Arc<dyn MemoryPool>,
    /// Partitions of this operator waiting for memory with nothing in flight.
    starved: Arc<AtomicUsize>,
}

impl Filler {
    /// The next chunk of input rows, None at the end of input.
    async fn next_chunk(
        &mut self,
        argument: &Arc<dyn PhysicalExpr>,
        paths: Option<&Arc<dyn PhysicalExpr>>,
    ) -> Result<Option<Chunk>> {
        loop {
            if let Some(chunk) = self.rebatcher.take(self.input_done)? {
                return Ok(Some(chunk));
            }
            if self.input_done {
                return Ok(None);
            }
            match self.input.next().await {
                Some(batch) => {
                    let batch = batch?;
                    let rows = batch.num_rows();
                    let value = argument.evaluate(&batch)?.into_array(rows)?;
                    let paths = match paths {
                        Some(p) => Some(p.evaluate(&batch)?.into_array(rows)?),
                        None => None,
                    };
                    self.rebatcher.push(Chunk {
                        batch,
                        argument: value,
                        paths,
                    });
                }
                None => self.input_done = true,
            }
        }
    }

    /// Submits chunks until `max` are in flight, the input ends, or memory runs short.
    /// `running`: a batch of this pipeline is on the model (it holds memory too).
    async fn fill(&mut self, driver: &DriverParts<'_>, running: bool) -> Result<()> {
        while self.in_flight.len() < driver.max_in_flight {
            let busy = running || !self.in_flight.is_empty();
            let chunk = match self.held.take() {
                Some(chunk) => chunk,
                None => match self.next_chunk(driver.argument, driver.paths).await? {
                    Some(chunk) => chunk,
                    None => return Ok(()),
                },
            };
            // The input rows are accounted by the operator that made them (the scan
            // reserves file bodies); what preparing adds is the model's input.
            let bytes = driver.pass.prepared_bytes(chunk.rows());
            if self.starved.load(Ordering::Relaxed) > 0 {
                // Another partition waits for memory: let it have the next that is freed.
                if busy {
                    self.held = Some(chunk);
                    return Ok(());
                }
                let_starved_go_first(&self.starved).await;
            }
            if self.reservation.try_grow(bytes).is_err() {
                if !busy {
                    // Other partitions may free theirs: wait a little before failing.
                    self.grow_when_freed(bytes).await?;
                } else {
                    // Fewer batches in flight until one finishes and frees its memory.
                    self.held = Some(chunk);
                    return Ok(());
                }
            }
            driver
                .metrics
                .peak_bytes_in_flight
                .set_max(self.reservation.size());
            let prepared = prepare(driver.pass, &chunk, &driver.metrics.prepare_time);
            self.in_flight.push_back(InFlight {
                chunk,
                prepared,
                bytes,
            });
        }
        Ok(())
    }
}

/// How long a pipeline with nothing in flight waits for memory before failing.
const MEMORY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Filler {
    /// Reserves `bytes`, waiting up to [`MEMORY_WAIT`] for other operators to free memory;
    /// then the pool's resources error.
    /// While it waits, the operator's other partitions hold back (see `fill`).
    async fn grow_when_freed(&mut self, bytes: usize) -> Result<()> {
        let deadline = Instant::now() + MEMORY_WAIT;
        self.starved.fetch_add(1, Ordering::Relaxed);
        let result = loop {
            match self.reservation.try_grow(bytes) {
                Ok(()) => break Ok(()),
                // Nothing else holds memory: waiting frees none.
                Err(e) if self.pool.reserved() <= self.reservation.size() => break Err(e),
                Err(e) if Instant::now() >= deadline => break Err(e),
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.starved.fetch_sub(1, Ordering::Relaxed);
        result
    }
}

/// Waits (a second at most) until no partition waits for memory.
async fn let_starved_go_first(starved: &AtomicUsize) {
    let deadline = Instant::now() + std::time::Duration::from_secs(1);
    while starved.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Submits the prepare stage of `chunk` to the CPU pool.
fn prepare(
    pass: &Arc<dyn ModelPass>,
    chunk: &Chunk,
    time: &Time,
) -> BoxFuture<'static, Result<Prepared>> {
    let pass = Arc::clone(pass);
    let argument = Arc::clone(&chunk.argument);
    let time = time.clone();
    Box::pin(pools::cpu().run(move |_| {
        let _timer = time.timer();
        pass.prepare(&argument, 0)
    }))
}

/// What the filler needs of the driver.
struct DriverParts<'a> {
    pass: &'a Arc<dyn ModelPass>,
    argument: &'a Arc<dyn PhysicalExpr>,
    paths: Option<&'a Arc<dyn PhysicalExpr>>,
    max_in_flight: usize,
    metrics: &'a InferenceMetrics,
}

/// One partition's pipeline.
struct Driver {
    pass: Arc<dyn ModelPass>,
    argument: Arc<dyn PhysicalExpr>,
    paths: Option<Arc<dyn PhysicalExpr>>,
    heads: Vec<Head>,
    schema: SchemaRef,
    max_in_flight: usize,
    metrics: InferenceMetrics,
    progress: Option<Arc<Progress>>,
    filler: Filler,
}

impl Driver {
    async fn run(mut self, tx: Sender<Result<RecordBatch>>) -> Result<()> {
        let parts = DriverParts {
            pass: &self.pass,
            argument: &self.argument,
            paths: self.paths.as_ref(),
            max_in_flight: self.max_in_flight,
            metrics: &self.metrics,
        };
        let batch_size = self.filler.rebatcher.size;
        // The model loads on the inference pool while the first batches are read and
        // prepared.
        let pass = Arc::clone(&self.pass);
        let mut loading = Some(pools::inference().run(move |_| pass.load()));
        loop {
            if self.filler.in_flight.is_empty() {
                // Nothing prepared or running: this may wait for memory.
                self.filler.fill(&parts, false).await?;
            }
            let Some(next) = self.filler.in_flight.pop_front() else {
                break;
            };
            if let Some(loading) = loading.take() {
                loading.await?;
            }
            let waited = Instant::now();
            let prepared = next.prepared.await.map_err(|e| next.chunk.name_file(e))?;
            self.metrics.input_wait_time.add_elapsed(waited);
            let pass = Arc::clone(&self.pass);
            let model_time = self.metrics.model_time.clone();
            let running = pools::inference().run(move |stop| {
                let _timer = model_time.timer();
                pass.run(prepared, stop)
            });
            // Read and decode ahead while the model runs.
            self.filler.fill(&parts, true).await?;
            let output = running.await.map_err(|e| next.chunk.name_file(e))?;
            self.metrics.batch_done(next.chunk.rows(), batch_size);
            if let Some(progress) = &self.progress {
                progress.done(next.chunk.rows());
            }
            let batch = with_columns(&self.schema, &next.chunk, &self.heads, &output)?;
            self.filler.reservation.shrink(next.bytes);
            self.metrics.baseline.record_output(batch.num_rows());
            if tx.send(Ok(batch)).await.is_err() {
                // The consumer is gone: stop.
                return Ok(());
            }
        }
        self.metrics.baseline.done();
        Ok(())
    }
}

/// The chunk's input columns and one column per head.
fn with_columns(
    schema: &SchemaRef,
    chunk: &Chunk,
    heads: &[Head],
    output: &PassOutput,
) -> Result<RecordBatch> {
    let mut columns = chunk.batch.columns().to_vec();
    for head in heads {
        let column = head(output).map_err(|e| chunk.name_file(e))?;
        if column.len() != chunk.rows() {
            return exec_err!(
                "InferenceExec: a model function gave {} rows for {}",
                column.len(),
                chunk.rows()
            );
        }
        columns.push(column);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
