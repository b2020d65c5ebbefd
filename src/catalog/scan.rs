//! [`MediaScanExec`]: reads the files of a media table, as little of each as the query needs.
//!
//! - **Reads**: none for `path`/`size`/`modified`; one header range read (64 KiB, a second
//!   small one for JPEGs with large EXIF blocks or MP3s with large ID3 tags) for `mime`,
//!   `kind` and the probe columns; the whole body for `content` (and for PDFs when `pages` is
//!   asked for). EXPLAIN shows which (`reads=`).
//! - **Ordering**: within a partition, rows follow the file order handed over at planning
//!   (sorted by path for complete listings); no output ordering is declared.
//! - **Partitioning**: files are split into up to `target_partitions` contiguous ranges
//!   (`UnknownPartitioning`); each partition reads with at most `max_in_flight` requests in
//!   flight, in order.
//! - **Memory**: a batch closes at `batch_bytes` of bodies or the session batch size, whichever
//!   comes first. Body bytes are reserved in DataFusion's memory pool before each read, and
//!   held until the batch after the one they were emitted in is requested; a query over the
//!   pool's limit fails with "Resources exhausted" instead of growing without bound.
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
use datafusion::common::{Result, exec_err, internal_err};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties,
};
use futures::{StreamExt, TryStreamExt, stream};
use object_store::{ObjectStore, ObjectStoreExt};

use super::location::{MediaFile, MediaLocation};
use super::probe::{self, Probe};
use super::schema::{col, listing_batch, media_schema};
use crate::exec::progress::Progress;

/// Tuning of a media scan; every field can be set per table (`OPTIONS ('batch_bytes' ...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// A batch closes once its file bodies reach this many bytes (or the session batch size).
    pub batch_bytes: usize,
    /// Reads in flight per partition.
    pub max_in_flight: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            batch_bytes: 32 * 1024 * 1024,
            max_in_flight: 8,
        }
    }
}

/// How much of each file a scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLevel {
    /// Listing only.
    None,
    /// The first bytes, to sniff and probe; PDF bodies too when `pdf_bodies`.
    Header { pdf_bodies: bool },
    /// Whole files.
    Body,
}

impl ReadLevel {
    fn for_projection(projection: &[usize]) -> Self {
        if projection.contains(&col::CONTENT) {
            Self::Body
        } else if projection.iter().any(|c| !col::LISTING.contains(c)) {
            Self::Header {
                pdf_bodies: projection.contains(&col::PAGES),
            }
        } else {
            Self::None
        }
    }
}

impl fmt::Display for ReadLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Header { pdf_bodies: false } => "header",
            Self::Header { pdf_bodies: true } => "header+pdf-body",
            Self::Body => "body",
        })
    }
}

/// The physical scan of a media table. See the module documentation.
#[derive(Debug)]
pub struct MediaScanExec {
    location: Arc<MediaLocation>,
    partitions: Vec<Arc<[MediaFile]>>,
    file_count: usize,
    projection: Vec<usize>,
    schema: SchemaRef,
    reads: ReadLevel,
    options: ScanOptions,
    filters: Vec<String>,
    limit: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    properties: Arc<PlanProperties>,
}

impl MediaScanExec {
    pub fn try_new(
        location: Arc<MediaLocation>,
        files: Vec<MediaFile>,
        projection: Vec<usize>,
        target_partitions: usize,
        options: ScanOptions,
        filters: Vec<String>,
        limit: Option<usize>,
    ) -> Result<Self> {
        let schema = Arc::new(media_schema().project(&projection)?);
        let file_count = files.len();
        let partitions = split_contiguous(files, target_partitions.max(1));
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(partitions.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Self {
            location,
            partitions,
            file_count,
            reads: ReadLevel::for_projection(&projection),
            projection,
            schema,
            options,
            filters,
            limit,
            metrics: ExecutionPlanMetricsSet::new(),
            properties: Arc::new(properties),
        })
    }

    /// What the scan reads of each file.
    pub fn reads(&self) -> ReadLevel {
        self.reads
    }
}

fn split_contiguous(files: Vec<MediaFile>, parts: usize) -> Vec<Arc<[MediaFile]>> {
    if files.is_empty() {
        return vec![Arc::from(Vec::new())];
    }
    let per_part = files.len().div_ceil(parts);
    files
        .chunks(per_part)
        .map(|chunk| Arc::from(chunk.to_vec()))
        .collect()
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
        vec![]
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
        if !children.is_empty() {
            return internal_err!("MediaScanExec has no children");
        }
        Ok(self)
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some(files) = self.partitions.get(partition) else {
            return internal_err!("MediaScanExec: no partition {partition}");
        };
        let reservation = Arc::new(
            MemoryConsumer::new(format!("MediaScanExec[{partition}]"))
                .register(context.memory_pool()),
        );
        let reader = FileReader {
            store: Arc::clone(self.location.store()),
            reads: self.reads,
            reservation: Arc::clone(&reservation),
            metrics: ScanMetrics::new(&self.metrics, partition),
        };
        let files = Arc::clone(files);
        if let Some(progress) = Progress::of(&context) {
            progress.listed(files.len());
        }
        let rows = stream::iter(0..files.len())
            .map(move |i| {
                let reader = reader.clone();
                let file = files[i].clone();
                async move { reader.read(file).await }
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

/// Counters shown by EXPLAIN ANALYZE.
#[derive(Debug, Clone)]
struct ScanMetrics {
    header_reads: Count,
    body_reads: Count,
    bytes_read: Count,
}

impl ScanMetrics {
    fn new(metrics: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        Self {
            header_reads: MetricBuilder::new(metrics).counter("header_reads", partition),
            body_reads: MetricBuilder::new(metrics).counter("body_reads", partition),
            bytes_read: MetricBuilder::new(metrics).counter("bytes_read", partition),
        }
    }
}

/// One file, read as far as the scan needs.
struct FileRow {
    file: MediaFile,
    probe: Probe,
    content: Option<Bytes>,
}

#[derive(Clone)]
struct FileReader {
    store: Arc<dyn ObjectStore>,
    reads: ReadLevel,
    reservation: Arc<MemoryReservation>,
    metrics: ScanMetrics,
}

impl FileReader {
    async fn read(&self, file: MediaFile) -> Result<FileRow> {
        let size = file.meta.size;
        let (probe, content) = match self.reads {
            ReadLevel::None => (Probe::default(), None),
            ReadLevel::Header { pdf_bodies } => (self.probe_header(&file, pdf_bodies).await?, None),
            ReadLevel::Body => {
                let body = self.body(&file, true).await?;
                let mut probe = probe::probe(&body, size);
                if probe.kind == Some("pdf") {
                    probe.pages = probe::pdf_pages(&body);
                }
                (probe, Some(body))
            }
        };
        Ok(FileRow {
            file,
            probe,
            content,
        })
    }

    async fn probe_header(&self, file: &MediaFile, pdf_bodies: bool) -> Result<Probe> {
        let size = file.meta.size;
        let mut header = self.range(file, 0, probe::HEADER_BYTES.min(size)).await?;
        let mut probe = probe::probe(&header, size);
        match probe::needs_more(&header, size) {
            // A video whose `moov` box lies past the header: read that box.
            Some(more) if probe.kind == Some("video") => {
                let len = more.len.min(size - more.start);
                let moov = self.range(file, more.start, len).await?;
                probe::probe_video(&mut probe, &moov);
            }
            Some(more) if more.start == 0 => {
                header = self.range(file, 0, more.len).await?;
                probe = probe::probe(&header, size);
            }
            Some(more) => {
                let len = more.len.min(size - more.start);
                let after = self.range(file, more.start, len).await?;
                probe::probe_after_id3(&mut probe, &after, more.start, size);
            }
            None => {}
        }
        if pdf_bodies && probe.kind == Some("pdf") {
            let body = self.body(file, false).await?;
            probe.pages = probe::pdf_pages(&body);
        }
        Ok(probe)
    }

    /// Reads `len` bytes at `start`; the bytes are reserved only while probing.
    async fn range(&self, file: &MediaFile, start: u64, len: u64) -> Result<Bytes> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        let reserved = usize::try_from(len).unwrap_or(usize::MAX);
        self.reservation.try_grow(reserved)?;
        let read = self
            .store
            .get_range(&file.meta.location, start..start + len)
            .await;
        self.reservation.shrink(reserved);
        self.metrics.header_reads.add(1);
        self.metrics.bytes_read.add(reserved);
        read.or_else(|e| exec_err!("MediaScanExec: reading '{}': {e}", file.path))
    }

    /// Reads a whole file. When `keep` the reservation stays until the batch is released.
    async fn body(&self, file: &MediaFile, keep: bool) -> Result<Bytes> {
        let reserved = usize::try_from(file.meta.size).unwrap_or(usize::MAX);
        self.reservation.try_grow(reserved)?;
        let read = async {
            let result = self.store.get(&file.meta.location).await?;
            result.bytes().await
        }
        .await;
        if !keep || read.is_err() {
            self.reservation.shrink(reserved);
        }
        self.metrics.body_reads.add(1);
        self.metrics.bytes_read.add(reserved);
        read.or_else(|e| exec_err!("MediaScanExec: reading '{}': {e}", file.path))
    }
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
