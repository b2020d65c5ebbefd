//! The layout of the inference cache's redb file, and the writes of one transaction.
//!
//! Tables:
//! - `results`: result key → `[tick u64][checksum 32][model name len u16][model][value]`;
//!   the checksum (blake3 of key, model and value) turns a value damaged on disk into a miss
//!   instead of another row's answer;
//! - `lru`: `[tick big-endian][result key]` → `()`, oldest first, for eviction;
//! - `files`: file identity key → `[content hash 32][size u64][checksum 8]`;
//! - `models`: model name → `(entries, bytes)`; `meta`: `bytes`, `tick` (one per commit).

use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};

use super::batch::{Put, Result};
use super::keys::Key;

pub(super) const RESULTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("results");
pub(super) const LRU: TableDefinition<&[u8], ()> = TableDefinition::new("lru");
pub(super) const FILES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("files");
pub(super) const MODELS: TableDefinition<&str, (u64, u64)> = TableDefinition::new("models");
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Bytes of the header before a result's model name.
pub(super) const HEADER: usize = 8 + 32 + 2;

/// The tables of one write transaction, with the running totals.
pub(super) struct Tables<'t> {
    pub(super) results: redb::Table<'t, &'static [u8], &'static [u8]>,
    lru: redb::Table<'t, &'static [u8], ()>,
    pub(super) files: redb::Table<'t, &'static [u8], &'static [u8]>,
    models: redb::Table<'t, &'static str, (u64, u64)>,
    meta: redb::Table<'t, &'static str, u64>,
    bytes: u64,
}

impl<'t> Tables<'t> {
    pub(super) fn open(txn: &'t redb::WriteTransaction) -> Result<Self> {
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

    pub(super) fn next_tick(&mut self) -> Result<u64> {
        let tick = self.meta.get("tick")?.map(|v| v.value()).unwrap_or(0) + 1;
        self.meta.insert("tick", tick)?;
        Ok(tick)
    }

    pub(super) fn save(&mut self) -> Result<()> {
        self.meta.insert("bytes", self.bytes)?;
        Ok(())
    }

    pub(super) fn put(&mut self, put: &Put, tick: u64) -> Result<()> {
        self.remove(&put.key)?;
        let value = result_value(tick, &put.key, &put.model, &put.value);
        self.results.insert(put.key.as_slice(), value.as_slice())?;
        self.lru.insert(lru_key(tick, &put.key).as_slice(), ())?;
        let size = entry_size(value.len());
        self.bytes += size;
        self.count(&put.model, 1, size as i64)
    }

    /// Makes `key` the most recently used, when it is still there.
    pub(super) fn touch(&mut self, key: &Key, tick: u64) -> Result<()> {
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
    pub(super) fn evict(&mut self, bound: u64) -> Result<()> {
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

    pub(super) fn clear(&mut self, model: Option<&str>) -> Result<(u64, u64)> {
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

/// Bytes an entry counts for: its value and key in `results` and its `lru` key.
pub(super) fn entry_size(value_len: usize) -> u64 {
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

pub(super) fn result_value(tick: u64, key: &Key, model: &str, value: &[u8]) -> Vec<u8> {
    let name = &model.as_bytes()[..model.len().min(u16::MAX as usize)];
    let mut out = Vec::with_capacity(HEADER + name.len() + value.len());
    out.extend_from_slice(&tick.to_le_bytes());
    out.extend_from_slice(result_checksum(key, model, value).as_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(value);
    out
}

pub(super) fn value_tick(value: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(value.get(..8)?.try_into().ok()?))
}

fn value_model(value: &[u8]) -> Option<&str> {
    let len = u16::from_le_bytes(value.get(40..42)?.try_into().ok()?) as usize;
    std::str::from_utf8(value.get(HEADER..HEADER + len)?).ok()
}

/// The value stored under `key`, when its checksum holds.
pub(super) fn checked_value(key: &Key, stored: &[u8]) -> Option<Vec<u8>> {
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

pub(super) fn file_value(id: &Key, hash: &Key, size: u64) -> [u8; 48] {
    let mut out = [0; 48];
    out[..32].copy_from_slice(hash);
    out[32..40].copy_from_slice(&size.to_le_bytes());
    out[40..].copy_from_slice(&file_checksum(id, hash, size));
    out
}

pub(super) fn checked_file(id: &Key, stored: &[u8]) -> Option<(Key, u64)> {
    let hash = Key::try_from(stored.get(..32)?).ok()?;
    let size = u64::from_le_bytes(stored.get(32..40)?.try_into().ok()?);
    (stored.get(40..48)? == file_checksum(id, &hash, size).as_slice()).then_some((hash, size))
}

#[cfg(test)]
mod tests {
    use super::*;

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
