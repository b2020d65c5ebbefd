//! One partition's pipeline of an [`InferenceExec`](super::inference::InferenceExec): the
//! driver task that reads and re-batches input, keeps the prepare stage fed within the
//! memory pool, runs the model and appends the calls' columns (the operator's docs say how
//! it orders, partitions, holds memory and fails); and the counters EXPLAIN ANALYZE shows.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{Result, exec_err};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::memory_pool::{MemoryPool, MemoryReservation};
use datafusion::physical_plan::PhysicalExpr;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, Gauge, MetricBuilder, Time,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use mediasql_udfs::models::{Head, ModelPass, PassOutput};
use tokio::sync::mpsc::Sender;

use super::budget::{Budget, Slot};
use super::cached::{Looked, OperatorCache};
use super::progress::Progress;
use super::rebatch::{Chunk, Rebatcher};
use super::stage::{Staged, stage};
use crate::cache::body_source::BodySource;
use crate::pools;

/// The mean fill of model batches over every partition (a gauge per partition would be
/// summed by EXPLAIN ANALYZE).
#[derive(Debug, Clone)]
pub(super) struct BatchFill {
    gauge: Gauge,
    rows: Count,
    capacity: Count,
}

impl BatchFill {
    pub(super) fn new(metrics: &ExecutionPlanMetricsSet) -> Self {
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
pub(super) struct InferenceMetrics {
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
    pub(super) fn new(
        metrics: &ExecutionPlanMetricsSet,
        partition: usize,
        batch_fill: BatchFill,
    ) -> Self {
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
    prepared: BoxFuture<'static, Result<Staged>>,
    /// Bytes reserved for it.
    bytes: usize,
    /// Its place among the operator's batches in flight, held until it leaves the model.
    _slot: Slot,
}

/// Keeps the prepare stage fed: pulls input, re-batches it, submits chunks to the CPU pool.
pub(super) struct Filler {
    input: SendableRecordBatchStream,
    rebatcher: Rebatcher,
    input_done: bool,
    /// A chunk waiting for memory to be freed.
    held: Option<Chunk>,
    in_flight: VecDeque<InFlight>,
    /// The operator's batches in flight, over all its partitions.
    budget: Budget,
    reservation: MemoryReservation,
    pool: Arc<dyn MemoryPool>,
    /// Partitions of this operator waiting for memory with nothing in flight.
    starved: Arc<AtomicUsize>,
}

impl Filler {
    pub(super) fn new(
        input: SendableRecordBatchStream,
        batch_size: usize,
        budget: Budget,
        reservation: MemoryReservation,
        pool: Arc<dyn MemoryPool>,
        starved: Arc<AtomicUsize>,
    ) -> Self {
        Self {
            input,
            rebatcher: Rebatcher::new(batch_size),
            input_done: false,
            held: None,
            in_flight: VecDeque::new(),
            budget,
            reservation,
            pool,
            starved,
        }
    }

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

    /// Submits chunks until the operator holds its budget of batches (this partition may
    /// always hold one), the input ends, or memory runs short. `running`: a batch of this
    /// pipeline is on the model or queued for it (it holds memory and a slot too).
    async fn fill(&mut self, driver: &DriverParts<'_>, running: bool) -> Result<()> {
        loop {
            let busy = running || !self.in_flight.is_empty();
            let Some(slot) = self.budget.take(!busy) else {
                return Ok(());
            };
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
            let prepared = stage(
                driver.pass,
                &chunk,
                &driver.metrics.prepare_time,
                driver.cache,
                driver.source,
            );
            self.in_flight.push_back(InFlight {
                chunk,
                prepared,
                bytes,
                _slot: slot,
            });
        }
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

/// What the filler needs of the driver.
struct DriverParts<'a> {
    pass: &'a Arc<dyn ModelPass>,
    argument: &'a Arc<dyn PhysicalExpr>,
    paths: Option<&'a Arc<dyn PhysicalExpr>>,
    metrics: &'a InferenceMetrics,
    cache: Option<&'a Arc<OperatorCache>>,
    source: Option<&'a Arc<dyn BodySource>>,
}

/// One partition's pipeline.
pub(super) struct Driver {
    pub(super) pass: Arc<dyn ModelPass>,
    pub(super) argument: Arc<dyn PhysicalExpr>,
    pub(super) paths: Option<Arc<dyn PhysicalExpr>>,
    pub(super) heads: Vec<Head>,
    pub(super) schema: SchemaRef,
    pub(super) metrics: InferenceMetrics,
    pub(super) progress: Option<Arc<Progress>>,
    pub(super) filler: Filler,
    pub(super) cache: Option<Arc<OperatorCache>>,
    /// Where the bodies of a deferred scan's rows are read.
    pub(super) source: Option<Arc<dyn BodySource>>,
}

impl Driver {
    pub(super) async fn run(mut self, tx: Sender<Result<RecordBatch>>) -> Result<()> {
        let parts = DriverParts {
            pass: &self.pass,
            argument: &self.argument,
            paths: self.paths.as_ref(),
            metrics: &self.metrics,
            cache: self.cache.as_ref(),
            source: self.source.as_ref(),
        };
        let batch_size = self.filler.rebatcher.size;
        // The model loads on the inference pool while the first batches are read, looked up
        // and prepared.
        let pass = Arc::clone(&self.pass);
        let mut loading = Some(pools::inference().run(move |_| pass.load()));
        let mut seen_rows = false;
        loop {
            if self.filler.in_flight.is_empty() {
                // Nothing prepared or running: this may wait for memory.
                self.filler.fill(&parts, false).await?;
            }
            let Some(next) = self.filler.in_flight.pop_front() else {
                break;
            };
            seen_rows = true;
            let waited = Instant::now();
            let staged = next.prepared.await?;
            self.metrics.input_wait_time.add_elapsed(waited);
            let output = match staged.todo {
                Some((rows, prepared)) => {
                    if let Some(loading) = loading.take() {
                        loading.await?;
                    }
                    let pass = Arc::clone(&self.pass);
                    let model_time = self.metrics.model_time.clone();
                    let running = pools::inference().run(move |stop| {
                        let _timer = model_time.timer();
                        pass.run(prepared, stop)
                    });
                    // Read and decode ahead while the model runs.
                    self.filler.fill(&parts, true).await?;
                    let output = running.await.map_err(|e| rows.name_file(e))?;
                    self.metrics.batch_done(rows.rows(), batch_size);
                    Some((rows, output))
                }
                None => {
                    self.filler.fill(&parts, false).await?;
                    None
                }
            };
            if let Some(progress) = &self.progress {
                progress.done(next.chunk.rows());
            }
            let batch = with_columns(
                &self.schema,
                &next.chunk,
                &self.heads,
                output.as_ref(),
                staged.looked.as_ref().zip(self.cache.as_deref()),
            )?;
            self.filler.reservation.shrink(next.bytes);
            self.metrics.baseline.record_output(batch.num_rows());
            if tx.send(Ok(batch)).await.is_err() {
                // The consumer is gone: stop.
                return Ok(());
            }
        }
        // Every row came from the cache: the model is still checked (its files against their
        // sha256), so that a changed or missing model fails as it would without the cache.
        if let Some(loading) = loading.take().filter(|_| seen_rows) {
            loading.await?;
        }
        if let Some(cache) = &self.cache {
            cache.finish().await;
        }
        self.metrics.baseline.done();
        Ok(())
    }
}

/// The chunk's input columns and one column per head: computed for the rows that went to
/// the model, merged with the kept ones where the cache had some.
fn with_columns(
    schema: &SchemaRef,
    chunk: &Chunk,
    heads: &[Head],
    output: Option<&(Chunk, PassOutput)>,
    cached: Option<(&Looked, &OperatorCache)>,
) -> Result<RecordBatch> {
    let mut columns = chunk.batch.columns().to_vec();
    for (i, head) in heads.iter().enumerate() {
        let computed = match output {
            Some((rows, output)) => {
                let column = head(output).map_err(|e| rows.name_file(e))?;
                if column.len() != rows.rows() {
                    return exec_err!(
                        "InferenceExec: a model function gave {} rows for {}",
                        column.len(),
                        rows.rows()
                    );
                }
                Some(column)
            }
            None => None,
        };
        let column = match (cached, computed) {
            (Some((looked, cache)), computed) => cache.merge(looked, i, computed.as_ref())?,
            (None, Some(computed)) => computed,
            (None, None) => return exec_err!("InferenceExec: a chunk neither computed nor kept"),
        };
        columns.push(column);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
