//! [`MediaScanExec`]: reads the files of a media table, as little of each as the query needs.
//!
//! - **Reads**: none for `path`/`size`/`modified`; one header range read (64 KiB, a second
//!   small one for JPEGs with large EXIF blocks or MP3s with large ID3 tags) for `mime`,
//!   `kind` and the probe columns; the whole body for `content` (and for PDFs when `pages` is
//!   asked for). EXPLAIN shows which (`reads=`).
//! - **Ordering**: within a partition, rows follow the file order handed over at planning
//!   (sorted by path for complete listings); no output ordering is declared.
//! - **Partitioning**: its input's: the file list ([`super::file_list`]), split at planning
//!   into up to `target_partitions` contiguous runs of about equal bytes
//!   (`UnknownPartitioning`); each partition reads its run with at most `max_in_flight`
//!   requests in flight, in order.
//! - **Memory**: a batch closes at `batch_bytes` of bodies or the session batch size, whichever
//!   comes first. Body bytes are reserved in DataFusion's memory pool before each read, and
//!   held until the batch after the one they were emitted in is requested; a query over the
//!   pool's limit fails with "Resources exhausted" instead of growing without bound.
//! - **Deferred content**: under an `InferenceExec` whose results the inference cache may
//!   hold (EXPLAIN: `content=deferred`), `content` is left NULL for the files whose content
//!   hash the cache knows by their identity, and read above for the rows the cache misses;
//!   files the cache has never seen are read here as usual.
//! - **Errors**: a read that fails (file vanished, network) fails the query with the file's
//!   path; unreadable or corrupt headers only leave probe columns NULL.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, Float64Array, Int32Array, Int64Array, RecordBatch, RecordBatchOptions,
    StringArray,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties,
};
use futures::{StreamExt, TryStreamExt, stream};

use super::deferred_bodies::{DeferredBodies, KnownFiles};
use super::file_list::{file_list_exec, files_of};
pub use super::file_reader::ReadLevel;
use super::file_reader::{FileReader, FileRow, ScanMetrics};
use super::location::{MediaFile, MediaLocation};
use super::probe::Probe;
use super::schema::{col, listing_batch, media_schema};
use crate::cache::{CacheMode, InferenceCache};
use crate::exec::options::MediasqlOptions;
use crate::exec::progress::Progress;

/// Tuning of a media scan; every field can be set per table (`OPTIONS ('batch_bytes' ...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// A batch closes once its file bodies reach this many bytes (or the session batch size).
    /// 4 MiB by default: a model pass takes 16 to 64 rows at a time, and a larger batch is
    /// memory held until its last row is done (32 MiB cost 100 MiB of peak RSS classifying
    /// 2,000 photos, for no speed).
    pub batch_bytes: usize,
    /// Reads in flight per partition.
    pub max_in_flight: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            batch_bytes: 4 * 1024 * 1024,
            max_in_flight: 8,
        }
    }
}

/// What a scan's listing was: the files it found, the filters and limit applied to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub file_count: usize,
    pub filters: Vec<String>,
    pub limit: Option<usize>,
}

/// The physical scan of a media table. See the module documentation.
#[derive(Debug)]
pub struct MediaScanExec {
    location: Arc<MediaLocation>,
    /// The files to read, one row each ([`super::file_list`]).
    input: Arc<dyn ExecutionPlan>,
    file_count: usize,
    projection: Vec<usize>,
    schema: SchemaRef,
    reads: ReadLevel,
    options: ScanOptions,
    filters: Vec<String>,
    limit: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    properties: Arc<PlanProperties>,
    /// `content` is left NULL for files the inference cache knows: the `InferenceExec`
    /// above reads the bodies it has no cached results for
    /// ([`crate::exec::DeferContentReads`]).
    content_deferred: bool,
    /// What is read of a file the cache knows, when `content_deferred`.
    known_reads: ReadLevel,
}

impl MediaScanExec {
    /// A scan of `files`, split into up to `target_partitions` partitions by bytes.
    pub fn for_files(
        location: Arc<MediaLocation>,
        files: &[MediaFile],
        projection: Vec<usize>,
        target_partitions: usize,
        options: ScanOptions,
        filters: Vec<String>,
        limit: Option<usize>,
    ) -> Result<Self> {
        let input = file_list_exec(files, target_partitions)?;
        let listed = Listed {
            file_count: files.len(),
            filters,
            limit,
        };
        Self::try_new(location, input, listed, projection, options)
    }

    /// A scan reading the files `input` lists (rows of [`super::file_list`]).
    pub fn try_new(
        location: Arc<MediaLocation>,
        input: Arc<dyn ExecutionPlan>,
        listed: Listed,
        projection: Vec<usize>,
        options: ScanOptions,
    ) -> Result<Self> {
        let schema = Arc::new(media_schema().project(&projection)?);
        let partitions = input.properties().output_partitioning().partition_count();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Self {
            location,
            input,
            file_count: listed.file_count,
            reads: ReadLevel::for_projection(&projection),
            known_reads: ReadLevel::for_projection(&projection),
            projection,
            schema,
            options,
            filters: listed.filters,
            limit: listed.limit,
            metrics: ExecutionPlanMetricsSet::new(),
            properties: Arc::new(properties),
            content_deferred: false,
        })
    }

    /// The same scan leaving `content` NULL (its bodies are read above, where needed).
    pub fn with_content_deferred(&self) -> Result<Self> {
        let mut scan = Self::try_new(
            Arc::clone(&self.location),
            Arc::clone(&self.input),
            self.listed(),
            self.projection.clone(),
            self.options,
        )?;
        let read: Vec<usize> = self
            .projection
            .iter()
            .copied()
            .filter(|&c| c != col::CONTENT)
            .collect();
        scan.known_reads = ReadLevel::for_projection(&read);
        scan.content_deferred = true;
        Ok(scan)
    }

    /// Whether `content` is left NULL for an operator above to read.
    pub fn content_deferred(&self) -> bool {
        self.content_deferred
    }

    /// The files this scan lists, by their `path` column, for reading their bodies later.
    pub fn deferred_bodies(&self) -> Result<DeferredBodies> {
        DeferredBodies::of_list(Arc::clone(&self.location), &self.input)
    }

    pub fn location(&self) -> &Arc<MediaLocation> {
        &self.location
    }

    pub fn projection(&self) -> &[usize] {
        &self.projection
    }

    pub fn options(&self) -> ScanOptions {
        self.options
    }

    /// What the listing was: shown by EXPLAIN, carried to other processes with the plan.
    pub fn listed(&self) -> Listed {
        Listed {
            file_count: self.file_count,
            filters: self.filters.clone(),
            limit: self.limit,
        }
    }

    /// What the scan reads of each file.
    pub fn reads(&self) -> ReadLevel {
        self.reads
    }
}

impl DisplayAs for MediaScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let schema = media_schema();
        let columns: Vec<&str> = self
            .projection
            .iter()
            .map(|&i| schema.field(i).name().as_str())
            .collect();
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(
                    f,
                    "MediaScanExec: location={}, files={}, reads={}, projection=[{}]",
                    self.location.original,
                    self.file_count,
                    self.reads,
                    columns.join(", ")
                )?;
                if self.content_deferred {
                    write!(f, ", content=deferred")?;
                }
                if !self.filters.is_empty() {
                    write!(f, ", listing_filters=[{}]", self.filters.join(", "))?;
                }
                if let Some(limit) = self.limit {
                    write!(f, ", limit={limit}")?;
                }
                Ok(())
            }
            DisplayFormatType::TreeRender => {
                writeln!(f, "location={}", self.location.original)?;
                writeln!(f, "files={}", self.file_count)?;
                write!(f, "reads={}", self.reads)
            }
        }
    }
}

impl ExecutionPlan for MediaScanExec {
    fn name(&self) -> &str {
        "MediaScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [input] = children.as_slice() else {
            return internal_err!("MediaScanExec has one child, got {}", children.len());
        };
        let mut scan = Self::try_new(
            Arc::clone(&self.location),
            Arc::clone(input),
            self.listed(),
            self.projection.clone(),
            self.options,
        )?;
        if self.content_deferred {
            scan = scan.with_content_deferred()?;
        }
        Ok(Arc::new(scan))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let files = self.input.execute(partition, Arc::clone(&context))?;
        let reservation = Arc::new(
            MemoryConsumer::new(format!("MediaScanExec[{partition}]"))
                .register(context.memory_pool()),
        );
        let known = self
            .content_deferred
            .then(|| known_files(&self.location, &context));
        let reader = FileReader {
            store: Arc::clone(self.location.store()),
            reads: self.reads,
            known: known.flatten().map(|k| (Arc::new(k), self.known_reads)),
            reservation: Arc::clone(&reservation),
            metrics: ScanMetrics::new(&self.metrics, partition),
        };
        let progress = Progress::of(&context);
        let files = files
            .map(move |batch| {
                let files = files_of(&batch?)?;
                if let Some(progress) = &progress {
                    progress.listed(files.len());
                }
                Ok::<_, DataFusionError>(stream::iter(
                    files.into_iter().map(Ok::<_, DataFusionError>),
                ))
            })
            .try_flatten();
        let rows = files
            .map(move |file| {
                let reader = reader.clone();
                async move { reader.read(file?).await }
            })
            .buffered(self.options.max_in_flight.max(1));
        let batcher = Batcher {
            projection: self.projection.clone(),
            schema: Arc::clone(&self.schema),
            max_rows: context.session_config().batch_size().max(1),
            max_bytes: self.options.batch_bytes.max(1),
            reservation,
            emitted_bytes: 0,
            baseline: BaselineMetrics::new(&self.metrics, partition),
        };
        let batches =
            stream::try_unfold((Box::pin(rows), batcher), |(mut rows, mut b)| async move {
                let mut pending = Vec::new();
                let mut bytes = 0;
                while pending.len() < b.max_rows && bytes < b.max_bytes {
                    match rows.try_next().await? {
                        Some(row) => {
                            bytes += row.content.as_ref().map_or(0, Bytes::len);
                            pending.push(row);
                        }
                        None => break,
                    }
                }
                if pending.is_empty() {
                    return Ok(None);
                }
                let batch = b.emit(pending, bytes)?;
                Ok(Some((batch, (rows, b))))
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batches,
        )))
    }
}

/// The files a deferred scan may leave unread: those the session's inference cache knows,
/// when it is on.
fn known_files(location: &Arc<MediaLocation>, context: &TaskContext) -> Option<KnownFiles> {
    let options = MediasqlOptions::from_config(context.session_config().options());
    if options.cache_mode() != CacheMode::On {
        return None;
    }
    Some(KnownFiles {
        location: Arc::clone(location),
        cache: context.session_config().get_extension::<InferenceCache>()?,
    })
}

/// Turns read files into record batches and releases memory of batches already consumed.
struct Batcher {
    projection: Vec<usize>,
    schema: SchemaRef,
    max_rows: usize,
    max_bytes: usize,
    reservation: Arc<MemoryReservation>,
    emitted_bytes: usize,
    baseline: BaselineMetrics,
}

impl Batcher {
    fn emit(&mut self, rows: Vec<FileRow>, bytes: usize) -> Result<RecordBatch> {
        let timer = self.baseline.elapsed_compute().timer();
        // The consumer asked for another batch: the previous one's bodies are its own now.
        self.reservation
            .shrink(self.emitted_bytes.min(self.reservation.size()));
        self.emitted_bytes = bytes;
        let batch = build_batch(&self.schema, &self.projection, &rows)?;
        self.baseline.record_output(batch.num_rows());
        timer.done();
        Ok(batch)
    }
}

fn build_batch(schema: &SchemaRef, projection: &[usize], rows: &[FileRow]) -> Result<RecordBatch> {
    let files: Vec<MediaFile> = rows.iter().map(|r| r.file.clone()).collect();
    let listing = listing_batch(&files)?;
    let columns = projection
        .iter()
        .map(|&c| column(c, rows, &listing))
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

fn column(c: usize, rows: &[FileRow], listing: &RecordBatch) -> Result<ArrayRef> {
    let probes = rows.iter().map(|r| &r.probe);
    let strings = |f: fn(&Probe) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(&r.probe)).collect::<StringArray>())
    };
    let ints = |f: fn(&Probe) -> Option<i32>| -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(&r.probe)).collect::<Int32Array>())
    };
    Ok(match c {
        col::PATH | col::SIZE | col::MODIFIED => Arc::clone(listing.column(c)),
        col::MIME => strings(|p| p.mime.as_deref()),
        col::KIND => strings(|p| p.kind),
        col::WIDTH => ints(|p| p.width),
        col::HEIGHT => ints(|p| p.height),
        col::FORMAT => strings(|p| p.format.as_deref()),
        col::DURATION_S => Arc::new(probes.map(|p| p.duration_s).collect::<Float64Array>()),
        col::SAMPLE_RATE => ints(|p| p.sample_rate),
        col::CHANNELS => ints(|p| p.channels),
        col::CODEC => strings(|p| p.codec.as_deref()),
        col::PAGES => ints(|p| p.pages),
        col::FPS => Arc::new(rows.iter().map(|r| r.probe.fps).collect::<Float64Array>()),
        col::FRAMES => Arc::new(rows.iter().map(|r| r.probe.frames).collect::<Int64Array>()),
        col::CONTENT => {
            let capacity = rows
                .iter()
                .filter_map(|r| r.content.as_ref())
                .map(Bytes::len)
                .sum();
            let mut builder = BinaryBuilder::with_capacity(rows.len(), capacity);
            for row in rows {
                builder.append_option(row.content.as_deref());
            }
            Arc::new(builder.finish())
        }
        other => return internal_err!("MediaScanExec: no column {other}"),
    })
}
