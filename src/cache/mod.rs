//! The inference cache: a model never runs twice on the same bytes.
//!
//! `InferenceExec` looks up each row's result by (content hash, call key) before the row
//! is prepared; only misses go to the prepare stage and the model, and their results are
//! written back ([`keys`] says what a key holds). For media files the cache also remembers
//! file identity → content hash, so that a rerun over an unchanged folder reads no bodies.
//!
//! - **Store**: one redb file (`inference.redb`) in the cache directory (default
//!   `~/.cache/mediasql/inference`, `[cache] dir`, `--cache-dir`), bounded in bytes
//!   (`[cache] size`, default 4 GiB) with least-recently-used eviction ([`store`]).
//!   Processes share it (a server, `mediasql query`, executors on one machine).
//! - **Writes** go through one writer thread per store, which commits what queued while
//!   the last commit ran (one transaction for many rows); a query waits for its writes at
//!   its end, so that what it computed is there for the next one.
//! - **Faults**: errors never reach the query. A store that cannot be opened or read as
//!   redb wrote it (damaged by hand, a half-written page) is moved aside with a warning and
//!   rebuilt; values carry a checksum, so a damaged value is a miss; a full disk or a
//!   failed commit drops that commit's entries with a warning; SIGKILL loses at most the
//!   commits not yet made (redb's commits are atomic).
//! - **Control**: `SET mediasql.inference_cache = 'on' | 'off' | 'refresh'`, `SHOW CACHE`
//!   (and the table function `inference_cache()`), `CLEAR CACHE [FOR MODEL name]`.

mod batch;
pub mod body_source;
pub mod keys;
pub mod store;
pub mod table;
mod tables;
pub mod values;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use datafusion::common::{DataFusionError, Result};

use keys::Key;
use store::{ModelUsage, Store, StoreError, WriteBatch};
use writer::{Commit, Writer};

/// The store's file name in the cache directory.
pub const FILE_NAME: &str = "inference.redb";
/// Default bound of the store.
pub const DEFAULT_SIZE: u64 = 4 << 30;

/// The default cache directory: `$XDG_CACHE_HOME/mediasql/inference`, else
/// `~/.cache/mediasql/inference`.
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("mediasql").join("inference")
}

/// What `mediasql.inference_cache` asks of model calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Look results up; compute and keep the misses.
    On,
    /// Neither read nor write.
    Off,
    /// Compute every row and overwrite what is kept.
    Refresh,
}

impl CacheMode {
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "on" | "true" => Some(Self::On),
            "off" | "false" => Some(Self::Off),
            "refresh" => Some(Self::Refresh),
            _ => None,
        }
    }
}

/// Hits and misses of one model since the process started.
#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    hits: u64,
    misses: u64,
}

/// One model's line of `SHOW CACHE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheLine {
    pub model: String,
    pub entries: u64,
    pub bytes: u64,
    pub hits: u64,
    pub misses: u64,
}

/// The store, once opened (or why not).
enum State {
    Closed,
    Open(Arc<Store>),
    /// Could not be opened (and was not damaged): the process goes on without a cache.
    Unavailable,
}

/// The cache of one directory, shared by every engine of the process that uses it.
pub struct InferenceCache {
    dir: PathBuf,
    bound: u64,
    state: Mutex<State>,
    writer: Writer,
    counters: Mutex<BTreeMap<String, Counters>>,
}

impl std::fmt::Debug for InferenceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferenceCache")
            .field("dir", &self.dir)
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

/// The caches of this process by directory: one store handle per file.
static CACHES: Mutex<Option<HashMap<PathBuf, Weak<InferenceCache>>>> = Mutex::new(None);

impl InferenceCache {
    /// The cache in `dir`, bounded to `bound` bytes; the same one for the same directory.
    /// Nothing is created on disk until a model call uses it.
    pub fn new(dir: &Path, bound: u64) -> Arc<Self> {
        let mut caches = CACHES.lock().unwrap_or_else(|e| e.into_inner());
        let caches = caches.get_or_insert_with(HashMap::new);
        caches.retain(|_, c| c.strong_count() > 0);
        if let Some(cache) = caches.get(dir).and_then(Weak::upgrade) {
            return cache;
        }
        let cache = Arc::new_cyclic(|me: &Weak<Self>| Self {
            dir: dir.to_path_buf(),
            bound,
            state: Mutex::new(State::Closed),
            writer: Writer::new(me.clone() as Weak<dyn Commit>),
            counters: Mutex::new(BTreeMap::new()),
        });
        caches.insert(dir.to_path_buf(), Arc::downgrade(&cache));
        cache
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The open store, opening it (and rebuilding a damaged one) on first use.
    fn store(&self) -> Option<Arc<Store>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &*state {
            State::Open(store) => return Some(Arc::clone(store)),
            State::Unavailable => return None,
            State::Closed => {}
        }
        let path = self.path();
        let opened = match guarded(|| Store::open(&path)) {
            Err(e) if e.damaged => {
                move_aside(&path, &e);
                guarded(|| Store::open(&path))
            }
            other => other,
        };
        match opened {
            Ok(store) => {
                let store = Arc::new(store);
                *state = State::Open(Arc::clone(&store));
                Some(store)
            }
            Err(e) => {
                log::warn!(
                    "inference cache {}: {e}; model results are not cached",
                    path.display()
                );
                *state = State::Unavailable;
                None
            }
        }
    }

    /// Runs `f` on the store; errors are logged and make it None (a damaged store is moved
    /// aside, to be rebuilt on next use).
    fn with_store<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Option<T> {
        let store = self.store()?;
        match guarded(|| f(&store)) {
            Ok(value) => Some(value),
            Err(e) => {
                log::warn!("inference cache {}: {what}: {e}", store.path().display());
                if e.damaged {
                    let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                    if matches!(&*state, State::Open(s) if Arc::ptr_eq(s, &store)) {
                        *state = State::Closed;
                        move_aside(store.path(), &e);
                    }
                }
                None
            }
        }
    }

    /// The values kept for `keys` (all None when the store is unavailable).
    /// With the keys found that are to be touched (see [`Store::get`]).
    pub fn get(&self, keys: &[Key]) -> store::Found {
        self.with_store("lookup", |s| s.get(keys))
            .unwrap_or_else(|| (vec![None; keys.len()], Vec::new()))
    }

    /// Content hashes and sizes by file identity.
    pub fn files(&self, ids: &[Key]) -> Vec<Option<(Key, u64)>> {
        self.with_store("file lookup", |s| s.files(ids))
            .unwrap_or_else(|| vec![None; ids.len()])
    }

    /// Queues `batch` for the writer.
    pub fn write(&self, batch: WriteBatch) {
        if !batch.is_empty() {
            self.writer.send(batch);
        }
    }

    /// Waits until everything queued so far is committed (or dropped with a warning).
    pub async fn flush(&self) {
        self.writer.flush().await;
    }

    /// Counts a query's hits and misses on `model`.
    pub fn record(&self, model: &str, hits: u64, misses: u64) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let c = counters.entry(model.to_string()).or_default();
        c.hits += hits;
        c.misses += misses;
    }

    /// What is kept, per model, with this process's hits and misses.
    pub fn lines(&self) -> Vec<CacheLine> {
        let usage = self.with_store("usage", |s| s.usage()).unwrap_or_default();
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut lines: BTreeMap<String, CacheLine> = BTreeMap::new();
        for ModelUsage {
            model,
            entries,
            bytes,
        } in usage
        {
            lines.insert(
                model.clone(),
                CacheLine {
                    model,
                    entries,
                    bytes,
                    hits: 0,
                    misses: 0,
                },
            );
        }
        for (model, c) in counters {
            let line = lines.entry(model.clone()).or_insert(CacheLine {
                model,
                entries: 0,
                bytes: 0,
                hits: 0,
                misses: 0,
            });
            line.hits = c.hits;
            line.misses = c.misses;
        }
        lines.into_values().collect()
    }

    /// Removes every kept result (of `model` only, when given); returns how many.
    pub async fn clear(&self, model: Option<&str>) -> Result<u64> {
        // What queries queued before the statement is written first, then removed.
        self.flush().await;
        let removed = self.with_store("clear", |s| s.clear(model));
        match removed {
            Some((entries, _)) => Ok(entries),
            None if self.store().is_none() => Ok(0),
            None => Err(DataFusionError::Execution(format!(
                "CLEAR CACHE: the inference cache in {} could not be written (see the server log)",
                self.dir.display()
            ))),
        }
    }
}

impl Commit for InferenceCache {
    /// Commits `batch` now (the writer's thread).
    fn commit(&self, batch: &WriteBatch) {
        self.with_store("write", |s| s.write(batch, self.bound));
    }
}

/// `f`, with a panic inside redb or the decoder reported as damage.
fn guarded<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(StoreError::damaged("the store panicked reading its file")))
}

/// Moves a damaged store file aside (kept for inspection), so that a new one is made.
fn move_aside(path: &Path, why: &StoreError) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = path.with_extension(format!("redb.damaged-{stamp}"));
    match std::fs::rename(path, &aside) {
        Ok(()) => log::warn!(
            "inference cache {} is damaged ({why}): moved to {} and rebuilt empty",
            path.display(),
            aside.display()
        ),
        Err(e) => log::warn!(
            "inference cache {} is damaged ({why}) and could not be moved aside: {e}",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_file_is_moved_aside_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), vec![0x5a; 64 * 1024]).unwrap();
        let cache = InferenceCache::new(dir.path(), DEFAULT_SIZE);
        assert_eq!(cache.get(&[[1; 32]]).0, vec![None]);

        cache.commit(&WriteBatch {
            puts: vec![store::Put {
                key: [1; 32],
                model: "m".into(),
                value: b"v".to_vec(),
            }],
            ..WriteBatch::default()
        });
        assert_eq!(cache.get(&[[1; 32]]).0, vec![Some(b"v".to_vec())]);
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
            .count();
        assert_eq!(aside, 1);
    }

    #[test]
    fn one_cache_per_directory() {
        let dir = tempfile::tempdir().unwrap();
        let a = InferenceCache::new(dir.path(), DEFAULT_SIZE);
        let b = InferenceCache::new(dir.path(), DEFAULT_SIZE);
        assert!(Arc::ptr_eq(&a, &b));
    }
}
