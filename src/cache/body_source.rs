//! [`BodySource`]: where the bodies a deferred media scan left unread are read from, by the
//! `InferenceExec` above it, for the rows the inference cache misses.

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::common::Result;

use super::keys::Key;

/// Where the bodies of a deferred scan's files are read from.
#[async_trait]
pub trait BodySource: Send + Sync + std::fmt::Debug {
    /// The identity key and size of the file at `path` (a value of the scan's `path`).
    fn identity(&self, path: &str) -> Option<(Key, u64)>;
    /// The file's bytes.
    async fn read(&self, path: &str) -> Result<Bytes>;
}
