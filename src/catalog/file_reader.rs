//! Reading one file of a media scan: as far as the scan needs (nothing, a header, the body),
//! with the bytes reserved in the memory pool and counted in the scan's metrics.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::common::{Result, exec_err};
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder};
use object_store::{ObjectStore, ObjectStoreExt};

use super::deferred_bodies::KnownFiles;
use super::location::MediaFile;
use super::probe::{self, Probe};
use super::schema::col;

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
    pub fn for_projection(projection: &[usize]) -> Self {
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

/// Counters shown by EXPLAIN ANALYZE.
#[derive(Debug, Clone)]
pub(super) struct ScanMetrics {
    header_reads: Count,
    body_reads: Count,
    bytes_read: Count,
}

impl ScanMetrics {
    pub(super) fn new(metrics: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        Self {
            header_reads: MetricBuilder::new(metrics).counter("header_reads", partition),
            body_reads: MetricBuilder::new(metrics).counter("body_reads", partition),
            bytes_read: MetricBuilder::new(metrics).counter("bytes_read", partition),
        }
    }
}

/// One file, read as far as the scan needs.
pub(super) struct FileRow {
    pub(super) file: MediaFile,
    pub(super) probe: Probe,
    pub(super) content: Option<Bytes>,
}

#[derive(Clone)]
pub(super) struct FileReader {
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) reads: ReadLevel,
    /// A deferred scan: the files the cache knows, and what is read of them.
    pub(super) known: Option<(Arc<KnownFiles>, ReadLevel)>,
    pub(super) reservation: Arc<MemoryReservation>,
    pub(super) metrics: ScanMetrics,
}

impl FileReader {
    pub(super) async fn read(&self, file: MediaFile) -> Result<FileRow> {
        let size = file.meta.size;
        let reads = match &self.known {
            Some((known, level)) if known.known(&file) => *level,
            _ => self.reads,
        };
        let (probe, content) = match reads {
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
