//! The inference cache's file: a redb database (transactional, crash-safe, several processes
//! may read and write it at once).
//!
//! Its tables and what a value holds: `super::tables`. Every write of a query goes through one commit of the writer (see `super::writer`);
//! a damaged file fails to open or to read, and the caller moves it aside.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableError};

use super::batch::Result;
pub use super::batch::{ModelUsage, Put, StoreError, WriteBatch};
use super::keys::Key;
use super::tables::{
    FILES, META, MODELS, RESULTS, Tables, checked_file, checked_value, file_value, value_tick,
};
#[cfg(test)]
use super::tables::{HEADER, entry_size};

/// Commits after which a result read is made the most recently used again.
pub const TOUCH_AFTER: u64 = 16;
/// Memory redb may keep of the file (its default is 1 GiB).
const PAGE_CACHE_BYTES: usize = 32 << 20;

/// The values of some keys (None where absent or damaged) and the keys to touch.
pub type Found = (Vec<Option<Vec<u8>>>, Vec<Key>);

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
    pub fn get(&self, keys: &[Key]) -> Result<Found> {
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
}
