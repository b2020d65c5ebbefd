//! What the store's callers and its tables exchange: results to keep, a commit's writes,
//! usage per model, and the store's errors.

use super::keys::Key;

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

pub(super) type Result<T> = std::result::Result<T, StoreError>;

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
