//! The inference cache's file: a redb database (transactional, crash-safe, several processes
//! may read and write it at once).
//!
//! Tables:
//! - `results`: result key → `[tick u64][checksum 32][model name len u16][model][value]`;
//!   the checksum (blake3 of key, model and value) turns a value damaged on disk into a miss
//!   instead of another row's answer;
//! - `lru`: `[tick big-endian][result key]` → `()`, oldest first, for eviction;
//! - `files`: file identity key → `[content hash 32][size u64][checksum 8]`;
//! - `models`: model name → `[entries u64][bytes u64]`; `meta`: `bytes`, `tick`.
//!
//! Every write of a query goes through one commit of the writer (see `super::writer`);
//! a damaged file fails to open or to read, and the caller moves it aside.

use std::path::{Path, PathBuf};

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError,
};

use super::keys::Key;

const RESULTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("results");
const LRU: TableDefinition<&[u8], ()> = TableDefinition::new("lru");
const FILES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("files");
const MODELS: TableDefinition<&str, (u64, u64)> = TableDefinition::new("models");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Bytes of the header before a result's model name.
const HEADER: usize = 8 + 32 + 2;
/// Commits after which a result read is made the most recently used again.
pub const TOUCH_AFTER: u64 = 16;
/// Memory redb may keep of the file (its default is 1 GiB).
const PAGE_CACHE_BYTES: usize = 32 << 20;

/// An error of the store: the caller goes on without the cache, and moves a damaged file
/// aside.
#[derive(Debug)]
pub struct StoreError {
    pub message: String,
    /// The file is not what redb wrote (a full disk or a lock is not damage).
    pub damaged: bool,
}

impl StoreError {
    pub fn damaged(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            damaged: true,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: Into<redb::Error>> From<E> for StoreError {
    fn from(e: E) -> Self {
        let e = e.into();
        let damaged = matches!(
            e,
            redb::Error::Corrupted(_)
                | redb::Error::UpgradeRequired(_)
                | redb::Error::TableTypeMismatch(_)
                | redb::Error::TypeDefinitionChanged(_)
                | redb::Error::RepairAborted
                | redb::Error::LockPoisoned(_)
        );
        Self {
            message: e.to_string(),
            damaged,
        }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// One result to keep.
#[derive(Debug, Clone)]
pub struct Put {
    pub key: Key,
    pub model: String,
    pub value: Vec<u8>,
}

/// What one commit writes.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub puts: Vec<Put>,
    /// Results read: they become the most recently used.
    pub touches: Vec<Key>,
    /// File identity → (content hash, size).
    pub files: Vec<(Key, Key, u64)>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.touches.is_empty() && self.files.is_empty()
    }

    pub fn append(&mut self, other: WriteBatch) {
        self.puts.extend(other.puts);
        self.touches.extend(other.touches);
        self.files.extend(other.files);
    }
}

/// Entries and bytes of one model's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUsage {
    pub model: String,
    pub entries: u64,
    pub bytes: u64,
}

/// The open database.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError {
                message: format!("{}: {e}", dir.display()),
                damaged: false,
            })?;
        }
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
            .create(path)
            .map_err(open_error)?;
        Ok(Self {
            db,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The values of `keys` (None where absent or damaged).
    /// Also says which of the values found were last used more than [`TOUCH_AFTER`]
    /// commits ago: those are to be touched (made the most recently used). Entries used
    /// since are left as they are, so that reading a result rarely rewrites it.
    pub fn get(&self, keys: &[Key]) -> Result<(Vec<Option<Vec<u8>>>, Vec<Key>)> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(RESULTS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok((vec![None; keys.len()], vec![])),
            Err(e) => return Err(e.into()),
        };
        let now = match txn.open_table(META) {
            Ok(meta) => meta.get("tick")?.map(|v| v.value()).unwrap_or(0),
            Err(_) => 0,
        };
        let mut values = Vec::with_capacity(keys.len());
        let mut stale = Vec::new();
        for key in keys {
            let Some(stored) = table.get(key.as_slice())? else {
                values.push(None);
                continue;
            };
            let stored = stored.value();
            let value = checked_value(key, stored);
            if value.is_some() && value_tick(stored).is_some_and(|t| t + TOUCH_AFTER < now) {
                stale.push(*key);
            }
            values.push(value);
        }
        Ok((values, stale))
    }

    /// The content hashes and sizes of files by identity (None where unknown).
    pub fn files(&self, ids: &[Key]) -> Result<Vec<Option<(Key, u64)>>> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(FILES) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(vec![None; ids.len()]),
            Err(e) => return Err(e.into()),
        };
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let value = table.get(id.as_slice())?;
            found.push(value.and_then(|v| checked_file(id, v.value())));
        }
        Ok(found)
    }

    /// Writes `batch` in one transaction, then evicts the least recently used results
    /// until the store holds at most `bound` bytes.
    pub fn write(&self, batch: &WriteBatch, bound: u64) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut tables = Tables::open(&txn)?;
            let tick = tables.next_tick()?;
            for put in &batch.puts {
                tables.put(put, tick)?;
            }
            for key in &batch.touches {
                tables.touch(key, tick)?;
            }
            for (id, hash, size) in &batch.files {
                tables
                    .files
                    .insert(id.as_slice(), file_value(id, hash, *size).as_slice())?;
            }
            tables.evict(bound)?;
            tables.save()?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Removes every result (of `model` only, when given) and, without a model, every file
    /// identity; returns the entries and bytes removed.
    pub fn clear(&self, model: Option<&str>) -> Result<(u64, u64)> {
        let txn = self.db.begin_write()?;
        let removed = {
            let mut tables = Tables::open(&txn)?;
            let removed = tables.clear(model)?;
            tables.save()?;
            removed
        };
        txn.commit()?;
        Ok(removed)
    }

    /// Entries and bytes per model.
    pub fn usage(&self) -> Result<Vec<ModelUsage>> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(MODELS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut usage = Vec::new();
        for row in table.iter()? {
            let (model, counts) = row?;
            let (entries, bytes) = counts.value();
            usage.push(ModelUsage {
                model: model.value().to_string(),
                entries,
                bytes,
            });
        }
        Ok(usage)
    }
}

/// The tables of one write transaction, with the running totals.
struct Tables<'t> {
    results: redb::Table<'t, &'static [u8], &'static [u8]>,
    lru: redb::Table<'t, &'static [u8], ()>,
    files: redb::Table<'t, &'static [u8], &'static [u8]>,
    models: redb::Table<'t, &'static str, (u64, u64)>,
    meta: redb::Table<'t, &'static str, u64>,
    bytes: u64,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t redb::WriteTransaction) -> Result<Self> {
        let meta = txn.open_table(META)?;
        let bytes = meta.get("bytes")?.map(|v| v.value()).unwrap_or(0);
        Ok(Self {
            results: txn.open_table(RESULTS)?,
            lru: txn.open_table(LRU)?,
            files: txn.open_table(FILES)?,
            models: txn.open_table(MODELS)?,
            meta,
            bytes,
        })
    }

    fn next_tick(&mut self) -> Result<u64> {
        let tick = self.meta.get("tick")?.map(|v| v.value()).unwrap_or(0) + 1;
        self.meta.insert("tick", tick)?;
        Ok(tick)
    }

    fn save(&mut self) -> Result<()> {
        self.meta.insert("bytes", self.bytes)?;
        Ok(())
    }

    fn put(&mut self, put: &Put, tick: u64) -> Result<()> {
        self.remove(&put.key)?;
        let value = result_value(tick, &put.key, &put.model, &put.value);
        self.results.insert(put.key.as_slice(), value.as_slice())?;
        self.lru.insert(lru_key(tick, &put.key).as_slice(), ())?;
        let size = entry_size(value.len());
        self.bytes += size;
        self.count(&put.model, 1, size as i64)
    }

    /// Makes `key` the most recently used, when it is still there.
    fn touch(&mut self, key: &Key, tick: u64) -> Result<()> {
        let Some(mut value) = self
            .results
            .get(key.as_slice())?
            .map(|v| v.value().to_vec())
        else {
            return Ok(());
        };
        let Some(old) = value_tick(&value) else {
            return Ok(());
        };
        if old == tick {
            return Ok(());
        }
        self.lru.remove(lru_key(old, key).as_slice())?;
        value[..8].copy_from_slice(&tick.to_le_bytes());
        self.results.insert(key.as_slice(), value.as_slice())?;
        self.lru.insert(lru_key(tick, key).as_slice(), ())?;
        Ok(())
    }

    /// Removes `key`'s result, if any.
    fn remove(&mut self, key: &Key) -> Result<()> {
        let Some(old) = self
            .results
            .remove(key.as_slice())?
            .map(|v| v.value().to_vec())
        else {
            return Ok(());
        };
        if let Some(tick) = value_tick(&old) {
            self.lru.remove(lru_key(tick, key).as_slice())?;
        }
        let size = entry_size(old.len());
        self.bytes = self.bytes.saturating_sub(size);
        if let Some(model) = value_model(&old) {
            self.count(model, -1, -(size as i64))?;
        }
        Ok(())
    }

    fn count(&mut self, model: &str, entries: i64, bytes: i64) -> Result<()> {
        let (e, b) = self.models.get(model)?.map(|v| v.value()).unwrap_or((0, 0));
        let e = e.saturating_add_signed(entries);
        let b = b.saturating_add_signed(bytes);
        if e == 0 {
            self.models.remove(model)?;
        } else {
            self.models.insert(model, (e, b))?;
        }
        Ok(())
    }

    /// Drops the least recently used results until at most `bound` bytes are kept (down to
    /// 90% of it, so that evictions come in runs rather than one per commit).
    fn evict(&mut self, bound: u64) -> Result<()> {
        if self.bytes <= bound {
            return Ok(());
        }
        let target = bound / 10 * 9;
        while self.bytes > target {
            let Some(oldest) = self.lru.first()?.map(|(k, _)| k.value().to_vec()) else {
                break;
            };
            let Some(key) = oldest.get(8..).and_then(|k| Key::try_from(k).ok()) else {
                self.lru.remove(oldest.as_slice())?;
                continue;
            };
            self.lru.remove(oldest.as_slice())?;
            self.remove(&key)?;
        }
        Ok(())
    }

    fn clear(&mut self, model: Option<&str>) -> Result<(u64, u64)> {
        let Some(model) = model else {
            let entries = self.results.len()?;
            let bytes = self.bytes;
            self.results.retain(|_, _| false)?;
            self.lru.retain(|_, _| false)?;
            self.files.retain(|_, _| false)?;
            self.models.retain(|_, _| false)?;
            self.bytes = 0;
            return Ok((entries, bytes));
        };
        let mut keys = Vec::new();
        for row in self.results.iter()? {
            let (key, value) = row?;
            if value_model(value.value()) == Some(model)
                && let Ok(key) = Key::try_from(key.value())
            {
                keys.push(key);
            }
        }
        let before = self.bytes;
        for key in &keys {
            self.remove(key)?;
        }
        Ok((keys.len() as u64, before - self.bytes))
    }
}

/// An error opening the file: damage, unless the file is busy or out of reach (then it is
/// left alone and the process goes without a cache).
fn open_error(e: redb::DatabaseError) -> StoreError {
    let e = redb::Error::from(e);
    let damaged = match &e {
        redb::Error::DatabaseAlreadyOpen
        | redb::Error::LockProtocolMismatch
        | redb::Error::TransactionInProgress => false,
        redb::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
        ),
        _ => true,
    };
    StoreError {
        message: e.to_string(),
        damaged,
    }
}

/// Bytes an entry counts for: its value and key in `results` and its `lru` key.
fn entry_size(value_len: usize) -> u64 {
    (value_len + 32 + 40) as u64
}

fn lru_key(tick: u64, key: &Key) -> [u8; 40] {
    let mut k = [0; 40];
    k[..8].copy_from_slice(&tick.to_be_bytes());
    k[8..].copy_from_slice(key);
    k
}

fn result_checksum(key: &Key, model: &str, value: &[u8]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(key);
    hasher.update(&(model.len() as u64).to_le_bytes());
    hasher.update(model.as_bytes());
    hasher.update(value);
    hasher.finalize()
}

fn result_value(tick: u64, key: &Key, model: &str, value: &[u8]) -> Vec<u8> {
    let name = &model.as_bytes()[..model.len().min(u16::MAX as usize)];
    let mut out = Vec::with_capacity(HEADER + name.len() + value.len());
    out.extend_from_slice(&tick.to_le_bytes());
    out.extend_from_slice(result_checksum(key, model, value).as_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(value);
    out
}

fn value_tick(value: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(value.get(..8)?.try_into().ok()?))
}

fn value_model(value: &[u8]) -> Option<&str> {
    let len = u16::from_le_bytes(value.get(40..42)?.try_into().ok()?) as usize;
    std::str::from_utf8(value.get(HEADER..HEADER + len)?).ok()
}

/// The value stored under `key`, when its checksum holds.
fn checked_value(key: &Key, stored: &[u8]) -> Option<Vec<u8>> {
    let model = value_model(stored)?;
    let payload = stored.get(HEADER + model.len()..)?;
    let checksum = stored.get(8..40)?;
    (result_checksum(key, model, payload).as_bytes() == checksum).then(|| payload.to_vec())
}

fn file_checksum(id: &Key, hash: &Key, size: u64) -> [u8; 8] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(id);
    hasher.update(hash);
    hasher.update(&size.to_le_bytes());
    let mut out = [0; 8];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..8]);
    out
}

fn file_value(id: &Key, hash: &Key, size: u64) -> [u8; 48] {
    let mut out = [0; 48];
    out[..32].copy_from_slice(hash);
    out[32..40].copy_from_slice(&size.to_le_bytes());
    out[40..].copy_from_slice(&file_checksum(id, hash, size));
    out
}

fn checked_file(id: &Key, stored: &[u8]) -> Option<(Key, u64)> {
    let hash = Key::try_from(stored.get(..32)?).ok()?;
    let size = u64::from_le_bytes(stored.get(32..40)?.try_into().ok()?);
    (stored.get(40..48)? == file_checksum(id, &hash, size).as_slice()).then_some((hash, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: u8, model: &str, value: &[u8]) -> Put {
        Put {
            key: [key; 32],
            model: model.into(),
            value: value.to_vec(),
        }
    }

    #[test]
    fn keeps_values_files_and_usage() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.redb")).unwrap();
        let batch = WriteBatch {
            puts: vec![put(1, "m", b"one"), put(2, "n", b"two")],
            files: vec![([9; 32], [7; 32], 123)],
            ..WriteBatch::default()
        };
        store.write(&batch, u64::MAX).unwrap();
        let got = store.get(&[[1; 32], [3; 32], [2; 32]]).unwrap().0;
        assert_eq!(
            got,
            vec![Some(b"one".to_vec()), None, Some(b"two".to_vec())]
        );
        assert_eq!(store.files(&[[9; 32]]).unwrap(), vec![Some(([7; 32], 123))]);
        let usage = store.usage().unwrap();
        assert_eq!(usage.len(), 2);
        assert_eq!((usage[0].model.as_str(), usage[0].entries), ("m", 1));
        assert_eq!(store.clear(Some("m")).unwrap().0, 1);
        assert_eq!(store.get(&[[1; 32]]).unwrap().0, vec![None]);
        assert_eq!(store.clear(None).unwrap().0, 1);
        assert!(store.usage().unwrap().is_empty());
        assert_eq!(store.files(&[[9; 32]]).unwrap(), vec![None]);
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.redb")).unwrap();
        let value = vec![0u8; 1000];
        for k in 0..10u8 {
            let batch = WriteBatch {
                puts: vec![put(k, "m", &value)],
                ..WriteBatch::default()
            };
            store.write(&batch, u64::MAX).unwrap();
        }
        // Reading 0 makes it the most recent; the bound keeps about half.
        let touch = WriteBatch {
            touches: vec![[0; 32]],
            ..WriteBatch::default()
        };
        store.write(&touch, u64::MAX).unwrap();
        let one = entry_size(HEADER + 1 + 1000);
        store.write(&WriteBatch::default(), one * 5).unwrap();
        let keys: Vec<Key> = (0..10u8).map(|k| [k; 32]).collect();
        let (found, stale) = store.get(&keys).unwrap();
        // Twelve commits since the first: none is stale yet.
        assert!(stale.is_empty());
        let kept: Vec<bool> = found.iter().map(Option::is_some).collect();
        assert!(kept[0], "the entry read last is kept: {kept:?}");
        assert!(!kept[1] && !kept[2], "the oldest go first: {kept:?}");
        assert!(kept[9]);
        let usage = store.usage().unwrap();
        assert!(usage[0].bytes <= one * 5, "{usage:?}");
    }

    #[test]
    fn a_damaged_value_is_a_miss() {
        let key = [5; 32];
        let mut stored = result_value(1, &key, "m", b"value");
        assert_eq!(checked_value(&key, &stored), Some(b"value".to_vec()));
        let last = stored.len() - 1;
        stored[last] ^= 1;
        assert_eq!(checked_value(&key, &stored), None);
        // Another key's value is not this key's.
        let other = result_value(1, &[6; 32], "m", b"value");
        assert_eq!(checked_value(&key, &other), None);
    }
}
