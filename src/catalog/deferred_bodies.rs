//! The bodies of a media scan's files, read later by the operator that needs them: an
//! `InferenceExec` reads only the files the inference cache has no results for
//! ([`crate::exec::DeferContentReads`]); the scan itself reads the files the cache has
//! never seen ([`KnownFiles`]), as fast as without a cache.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::catalog::memory::MemorySourceConfig;
use datafusion::common::{Result, exec_err};
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;
use object_store::ObjectStoreExt;

use super::file_list::files_of;
use super::location::{MediaFile, MediaLocation};
use crate::cache::InferenceCache;
use crate::cache::body_source::BodySource;
use crate::cache::keys::{FileIdentity, Key};

/// A scan's files by their `path` column.
#[derive(Debug)]
pub struct DeferredBodies {
    location: Arc<MediaLocation>,
    files: HashMap<String, MediaFile>,
}

impl DeferredBodies {
    /// The files `list` (a scan's in-memory file list) holds.
    pub fn of_list(location: Arc<MediaLocation>, list: &Arc<dyn ExecutionPlan>) -> Result<Self> {
        let Some(memory) = list
            .downcast_ref::<DataSourceExec>()
            .and_then(|d| d.data_source().downcast_ref::<MemorySourceConfig>())
        else {
            return exec_err!("MediaScanExec: its file list is not in memory");
        };
        let mut files = HashMap::new();
        for batch in memory.partitions().iter().flatten() {
            for file in files_of(batch)? {
                files.insert(file.path.clone(), file);
            }
        }
        Ok(Self { location, files })
    }
}

/// The identity key and size of `file` of `location` (its path, size, modified time, ETag
/// and version: never its path alone).
pub fn file_identity(location: &MediaLocation, file: &MediaFile) -> (Key, u64) {
    let meta = &file.meta;
    let identity = FileIdentity {
        location: &location.original,
        path: meta.location.as_ref(),
        size: meta.size,
        modified_ns: meta.last_modified.timestamp_nanos_opt().unwrap_or(i64::MIN),
        etag: meta.e_tag.as_deref(),
        version: meta.version.as_deref(),
    };
    (identity.key(), meta.size)
}

/// Files whose content hash the inference cache knows: a deferred scan leaves their bodies
/// to the operator above and reads the others itself (they would be read anyway).
#[derive(Debug)]
pub struct KnownFiles {
    pub location: Arc<MediaLocation>,
    pub cache: Arc<InferenceCache>,
}

impl KnownFiles {
    pub fn known(&self, file: &MediaFile) -> bool {
        let (id, _) = file_identity(&self.location, file);
        self.cache.files(&[id]).first().is_some_and(Option::is_some)
    }
}

#[async_trait]
impl BodySource for DeferredBodies {
    fn identity(&self, path: &str) -> Option<(Key, u64)> {
        let file = self.files.get(path)?;
        Some(file_identity(&self.location, file))
    }

    async fn read(&self, path: &str) -> Result<Bytes> {
        let Some(file) = self.files.get(path) else {
            return exec_err!("InferenceExec: '{path}' is not a file of the scan below");
        };
        let read = async {
            let result = self.location.store().get(&file.meta.location).await?;
            result.bytes().await
        }
        .await;
        read.or_else(|e| exec_err!("InferenceExec: reading '{path}': {e}"))
    }
}
