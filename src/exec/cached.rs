//! The inference cache inside an [`InferenceExec`](super::InferenceExec)'s pipeline: each
//! chunk's rows are looked up before they are prepared; only the misses go to the prepare
//! stage and the model, and the hits are merged back in row order (`crate::cache` holds the
//! store and says what a key is made of).
//!
//! A row is a hit when every call of the operator has its value kept; NULL inputs and
//! rows a call gives NULL for (`on_error => 'null'`) are never kept, so errors are always
//! computed again.
//!
//! Over a media scan whose `content` is deferred ([`super::DeferContentReads`]), rows come
//! without their bodies: a row's content hash is found by its file's identity (location,
//! path, size, modified time, ETag), and only the bodies of the rows missed are read.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, RecordBatch, RecordBatchOptions, UInt32Array,
};
use datafusion::arrow::compute::{interleave, take};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::Result;
use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder, Time};
use futures::{StreamExt, TryStreamExt, stream};
use mediasql_udfs::models::ModelPass;

use super::rebatch::Chunk;
use crate::cache::body_source::BodySource;
use crate::cache::keys::{self, Key};
use crate::cache::store::{Put, WriteBatch};
use crate::cache::values::ValueCodec;
use crate::cache::{CacheMode, InferenceCache};

/// How one call's results are kept: its key (function, model fingerprint, options, output
/// type) and the codec of its values.
#[derive(Debug)]
pub struct CallCache {
    pub key: Key,
    codec: ValueCodec,
}

impl CallCache {
    /// None when the pass is not cached (no fingerprint) or its output type cannot be kept.
    pub fn new(
        function: &str,
        pass: &dyn ModelPass,
        options: &[String],
        output: &DataType,
    ) -> Option<Arc<Self>> {
        let fingerprint = pass.fingerprint()?;
        Some(Arc::new(Self {
            key: keys::call_key(function, &fingerprint, options, output),
            codec: ValueCodec::new(output)?,
        }))
    }
}

/// Bodies read at once per partition (as the scan's `max_in_flight`).
const READS_IN_FLIGHT: usize = 8;

/// Counters shown by EXPLAIN ANALYZE.
#[derive(Debug, Clone)]
pub(super) struct CacheMetrics {
    pub(super) hits: Count,
    pub(super) misses: Count,
    pub(super) lookup_time: Time,
    /// Deferred bodies: read for misses, and the bytes of the hits' files not read.
    bodies_read: Count,
    bytes_not_read: Count,
}

impl CacheMetrics {
    pub(super) fn new(metrics: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        let builder = || MetricBuilder::new(metrics);
        Self {
            hits: builder().counter("cache_hits", partition),
            misses: builder().counter("cache_misses", partition),
            lookup_time: builder().subset_time("cache_lookup_time", partition),
            bodies_read: builder().counter("bodies_read", partition),
            bytes_not_read: builder().counter("bytes_not_read", partition),
        }
    }
}

/// The cache as one partition of an operator uses it.
#[derive(Debug)]
pub(super) struct OperatorCache {
    pub(super) cache: Arc<InferenceCache>,
    pub(super) mode: CacheMode,
    pub(super) model: String,
    pub(super) calls: Vec<Arc<CallCache>>,
    pub(super) metrics: CacheMetrics,
    /// Set when the input's `content` is deferred: bodies are read here.
    pub(super) source: Option<Arc<dyn BodySource>>,
}

impl OperatorCache {
    /// The cache for an operator's `calls`, when the session's mode and every call allow it
    /// (never with the cache off: an operator with one reads and writes).
    /// `source`: where the bodies of a deferred scan are read.
    pub(super) fn new(
        cache: Option<Arc<InferenceCache>>,
        mode: CacheMode,
        model: &str,
        calls: &[Option<Arc<CallCache>>],
        metrics: CacheMetrics,
        source: Option<Arc<dyn BodySource>>,
    ) -> Option<Self> {
        let cache = cache.filter(|_| mode != CacheMode::Off)?;
        let calls = calls.iter().cloned().collect::<Option<Vec<_>>>()?;
        Some(Self {
            cache,
            mode,
            model: model.to_string(),
            calls,
            metrics,
            source,
        })
    }

    /// Looks `chunk`'s rows up: what is kept and the rows to compute.
    pub(super) fn look_up(&self, chunk: &Chunk) -> Result<(Looked, Option<Chunk>)> {
        let _timer = self.metrics.lookup_time.timer();
        let mut hashes = keys::content_hashes(&chunk.argument)?;
        let Some(source) = &self.source else {
            return self.look_up_hashes(chunk, hashes);
        };
        // Deferred content: rows the scan read are hashed (and their files' identities
        // kept); the others are found by their files' identities.
        let ids = identities(source.as_ref(), chunk)?;
        let mut files = Vec::new();
        let mut unread = Vec::new();
        for (row, (hash, id)) in hashes.iter().zip(&ids).enumerate() {
            match (hash, id) {
                (Some(hash), Some((id, size))) => files.push((*id, *hash, *size)),
                (None, Some((id, _))) => unread.push((row, *id)),
                _ => {}
            }
        }
        self.keep_files(files);
        let unread_ids: Vec<Key> = unread.iter().map(|(_, id)| *id).collect();
        for ((row, _), found) in unread.iter().zip(self.cache.files(&unread_ids)) {
            hashes[*row] = found.map(|(hash, _)| hash);
        }
        let (looked, misses) = self.look_up_hashes(chunk, hashes)?;
        let not_read: u64 = looked
            .hit_rows
            .iter()
            .filter(|&&r| chunk.argument.is_null(r))
            .filter_map(|&r| ids[r].map(|(_, size)| size))
            .sum();
        self.metrics.bytes_not_read.add(not_read as usize);
        Ok((looked, misses))
    }

    /// Keeps file identity → content hash, for the next query's scan to leave unread.
    fn keep_files(&self, files: Vec<(Key, Key, u64)>) {
        if !files.is_empty() {
            self.cache.write(WriteBatch {
                files,
                ..WriteBatch::default()
            });
        }
    }

    /// Reads the bodies the scan left unread of the rows to compute: they become the rows'
    /// argument, and their hashes are kept by file identity.
    pub(super) async fn read_bodies(&self, rows: Chunk, looked: &mut Looked) -> Result<Chunk> {
        let Some(source) = &self.source else {
            return Ok(rows);
        };
        let (rows, read) = read_bodies(source, rows).await?;
        let mut files = Vec::with_capacity(read.len());
        for (i, body) in read.into_iter().enumerate() {
            let (Some(row), Some(body)) = (looked.miss_rows.get(i), body) else {
                continue;
            };
            if let Some(slot) = looked.hashes.get_mut(*row) {
                *slot = Some(body.hash);
            }
            if let Some((id, size)) = body.identity {
                files.push((id, body.hash, size));
            }
        }
        self.metrics.bodies_read.add(files.len());
        self.keep_files(files);
        Ok(rows)
    }

    /// Looks rows up by their content hashes (None: the row is computed).
    pub(super) fn look_up_hashes(
        &self,
        chunk: &Chunk,
        hashes: Vec<Option<Key>>,
    ) -> Result<(Looked, Option<Chunk>)> {
        let mut found: Vec<Vec<Option<Vec<u8>>>> = vec![vec![None; hashes.len()]; self.calls.len()];
        if self.mode == CacheMode::On {
            let wanted: Vec<(usize, usize, Key)> = hashes
                .iter()
                .enumerate()
                .filter_map(|(row, h)| h.map(|h| (row, h)))
                .flat_map(|(row, h)| {
                    self.calls
                        .iter()
                        .enumerate()
                        .map(move |(c, call)| (row, c, keys::result_key(&h, &call.key)))
                })
                .collect();
            let keys: Vec<Key> = wanted.iter().map(|(_, _, k)| *k).collect();
            let (values, stale) = self.cache.get(&keys);
            for ((row, call, _), value) in wanted.iter().zip(values) {
                found[*call][*row] = value;
            }
            // Results read become the most recently used (those not used for a while).
            self.cache.write(WriteBatch {
                touches: stale,
                ..WriteBatch::default()
            });
        }
        let (mut hit_rows, mut miss_rows): (Vec<usize>, Vec<usize>) =
            (0..hashes.len()).partition(|&row| found.iter().all(|f| f[row].is_some()));
        let hits = match self.decode(&found, &hit_rows) {
            Ok(hits) => hits,
            Err(e) => {
                // Bytes that passed their checksum but do not decode: computed again.
                log::warn!(
                    "inference cache: a kept {} result did not decode: {e}",
                    self.model
                );
                hit_rows.clear();
                miss_rows = (0..hashes.len()).collect();
                self.decode(&found, &hit_rows)?
            }
        };
        self.metrics.hits.add(hit_rows.len());
        self.metrics.misses.add(miss_rows.len());
        let misses = match miss_rows.len() {
            0 => None,
            n if n == chunk.rows() => Some(chunk.clone()),
            _ => Some(rows_of(chunk, &miss_rows)?),
        };
        let looked = Looked {
            hashes,
            hit_rows,
            miss_rows,
            hits,
        };
        Ok((looked, misses))
    }

    /// Per call, the kept values of `hit_rows`, decoded.
    fn decode(&self, found: &[Vec<Option<Vec<u8>>>], hit_rows: &[usize]) -> Result<Vec<ArrayRef>> {
        self.calls
            .iter()
            .zip(found)
            .map(|(call, values)| {
                let kept: Vec<&[u8]> = hit_rows
                    .iter()
                    .filter_map(|&r| values[r].as_deref())
                    .collect();
                call.codec.decode(&kept)
            })
            .collect()
    }

    /// `computed` (one value per miss row) merged with the kept values of call `call`, in
    /// the chunk's row order; the new values are queued for the store.
    pub(super) fn merge(
        &self,
        looked: &Looked,
        call: usize,
        computed: Option<&ArrayRef>,
    ) -> Result<ArrayRef> {
        let (Some(cached), Some(call_cache)) = (looked.hits.get(call), self.calls.get(call)) else {
            return Err(datafusion::error::DataFusionError::Internal(
                "InferenceExec: a cached call out of range".into(),
            ));
        };
        let Some(computed) = computed else {
            return Ok(Arc::clone(cached));
        };
        self.keep(looked, call_cache, computed)?;
        if looked.hit_rows.is_empty() {
            return Ok(Arc::clone(computed));
        }
        let (mut hit, mut miss) = (looked.hit_rows.iter().peekable(), 0);
        let mut indices = Vec::with_capacity(looked.hashes.len());
        let mut next_hit = 0;
        for row in 0..looked.hashes.len() {
            if hit.peek() == Some(&&row) {
                hit.next();
                indices.push((0, next_hit));
                next_hit += 1;
            } else {
                indices.push((1, miss));
                miss += 1;
            }
        }
        Ok(interleave(&[cached.as_ref(), computed.as_ref()], &indices)?)
    }

    /// Queues the non-NULL computed values of a call.
    fn keep(&self, looked: &Looked, call: &CallCache, computed: &ArrayRef) -> Result<()> {
        let encoded = call.codec.encode(computed)?;
        let puts = looked
            .miss_rows
            .iter()
            .zip(encoded)
            .filter_map(|(&row, value)| {
                let hash = looked.hashes.get(row).copied().flatten()?;
                Some(Put {
                    key: keys::result_key(&hash, &call.key),
                    model: self.model.clone(),
                    value: value?,
                })
            })
            .collect();
        self.cache.write(WriteBatch {
            puts,
            ..WriteBatch::default()
        });
        Ok(())
    }

    /// At the end of the partition: waits for its writes, counts its hits and misses.
    pub(super) async fn finish(&self) {
        self.cache.flush().await;
        self.cache.record(
            &self.model,
            self.metrics.hits.value() as u64,
            self.metrics.misses.value() as u64,
        );
    }
}

/// A body read for a deferred row.
pub(super) struct ReadBody {
    hash: Key,
    identity: Option<(Key, u64)>,
}

/// The identity of each row's file (None without a path or outside the scan's files).
fn identities(source: &dyn BodySource, chunk: &Chunk) -> Result<Vec<Option<(Key, u64)>>> {
    let Some(paths) = &chunk.paths else {
        return Err(datafusion::error::DataFusionError::Internal(
            "InferenceExec: deferred content without paths".into(),
        ));
    };
    let paths = datafusion::arrow::compute::cast(paths, &DataType::Utf8)?;
    let paths = paths.as_string::<i32>();
    Ok(paths
        .iter()
        .map(|p| p.and_then(|p| source.identity(p)))
        .collect())
}

/// Reads the bodies the scan left unread (NULL `content`) of `rows` into their argument;
/// per row, what was read (None for rows the scan had read).
pub(super) async fn read_bodies(
    source: &Arc<dyn BodySource>,
    rows: Chunk,
) -> Result<(Chunk, Vec<Option<ReadBody>>)> {
    let Some(paths) = &rows.paths else {
        return Err(datafusion::error::DataFusionError::Internal(
            "InferenceExec: deferred content without paths".into(),
        ));
    };
    let Some(read) = rows.argument.as_binary_opt::<i32>() else {
        return Ok((rows, Vec::new()));
    };
    if read.null_count() == 0 {
        return Ok((rows, Vec::new()));
    }
    let paths = datafusion::arrow::compute::cast(paths, &DataType::Utf8)?;
    let wanted: Vec<Option<String>> = paths
        .as_string::<i32>()
        .iter()
        .enumerate()
        .map(|(i, p)| p.filter(|_| read.is_null(i)).map(str::to_string))
        .collect();
    let reads: Vec<_> = wanted
        .iter()
        .cloned()
        .map(|path| {
            let source = Arc::clone(source);
            async move {
                match path {
                    Some(path) => source.read(&path).await.map(Some),
                    None => Ok(None),
                }
            }
        })
        .collect();
    let bodies: Vec<Option<Bytes>> = stream::iter(reads)
        .buffered(READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let info = bodies
        .iter()
        .zip(&wanted)
        .map(|(body, path)| {
            Some(ReadBody {
                hash: keys::bytes_hash(body.as_ref()?),
                identity: path.as_deref().and_then(|p| source.identity(p)),
            })
        })
        .collect();
    let argument: ArrayRef = Arc::new(BinaryArray::from_iter(bodies.iter().enumerate().map(
        |(i, b)| {
            b.as_deref()
                .or_else(|| read.is_valid(i).then(|| read.value(i)))
        },
    )));
    Ok((Chunk { argument, ..rows }, info))
}

/// What a chunk's lookup found.
pub(super) struct Looked {
    /// Per chunk row: its content hash (None: not kept).
    hashes: Vec<Option<Key>>,
    hit_rows: Vec<usize>,
    miss_rows: Vec<usize>,
    /// Per call: the kept values of the hit rows, in order.
    hits: Vec<ArrayRef>,
}

/// The rows `rows` of `chunk`, for the prepare stage and the model: the argument and paths
/// (the chunk's other columns stay in the chunk, which makes the output).
fn rows_of(chunk: &Chunk, rows: &[usize]) -> Result<Chunk> {
    let indices = UInt32Array::from_iter_values(rows.iter().map(|&r| r as u32));
    let pick = |a: &ArrayRef| take(a.as_ref(), &indices, None);
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    Ok(Chunk {
        batch: RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &options)?,
        argument: pick(&chunk.argument)?,
        paths: chunk.paths.as_ref().map(pick).transpose()?,
    })
}
