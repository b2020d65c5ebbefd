//! Object stores by URL: `file://` (and plain paths), `s3://bucket/...`, `http(s)://host/...`.
//!
//! One registry per engine caches one store per scheme + authority, so every query and every
//! `download` row of a bucket shares one HTTP connection pool. S3 settings come from the usual
//! AWS environment variables, overridden per engine by options such as `aws.endpoint`.
//!
//! With an IO runtime ([`StoreRegistry::with_io_runtime`], the server's own), S3 and HTTP
//! requests run there, not on the plan runtime whose threads run operators at low priority:
//! a response is read as soon as it arrives, however busy the cores are.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use datafusion::common::{DataFusionError, Result, plan_err};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::client::SpawnedReqwestConnector;
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore};
use tokio::runtime::Handle;
use url::Url;

use super::roots::MediaRoots;

/// A location resolved to a store and a path inside it.
#[derive(Debug, Clone)]
pub struct StoreUrl {
    /// `scheme://authority`, the key the store is cached under (`file://` for local files).
    pub root: String,
    /// The object path inside the store.
    pub path: Path,
    /// The store serving it.
    pub store: Arc<dyn ObjectStore>,
}

/// Builds and caches object stores; cheap to share (`Arc`).
#[derive(Debug, Default)]
pub struct StoreRegistry {
    /// Options applied to every S3 store (keys as in `CREATE EXTERNAL TABLE ... OPTIONS`).
    s3_options: HashMap<String, String>,
    /// Where clients may read; None: anywhere the process can.
    roots: Option<Arc<MediaRoots>>,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    /// Where S3 and HTTP requests run; None: wherever they are polled.
    io: Option<Handle>,
}

impl StoreRegistry {
    /// A registry whose S3 stores use `s3_options` (e.g. `aws.endpoint`, `aws.region`).
    pub fn new(s3_options: HashMap<String, String>) -> Self {
        Self {
            s3_options,
            roots: None,
            stores: Mutex::default(),
            io: None,
        }
    }

    /// Runs S3 and HTTP requests on `io` (see the module docs).
    pub fn with_io_runtime(mut self, io: Option<Handle>) -> Self {
        self.io = io;
        self
    }

    /// Limits every location this registry resolves to `roots`.
    pub fn with_roots(mut self, roots: Option<Arc<MediaRoots>>) -> Self {
        self.roots = roots;
        self
    }

    /// The media roots locations must lie under, if any.
    pub fn roots(&self) -> Option<&Arc<MediaRoots>> {
        self.roots.as_ref()
    }

    /// Resolves a URL or local path; `options` override the registry's S3 options.
    /// Stores built with per-call options are not cached.
    /// Locations outside the media roots are refused (SQLSTATE 42501).
    pub fn resolve(&self, location: &str, options: &HashMap<String, String>) -> Result<StoreUrl> {
        if let Some(roots) = &self.roots {
            roots.check_read(location)?;
        }
        let Some((scheme, _)) = location.split_once("://") else {
            return self.local(std::path::Path::new(location));
        };
        let url = Url::parse(location)
            .map_err(|e| DataFusionError::Plan(format!("invalid URL '{location}': {e}")))?;
        let path = Path::from_url_path(url.path())
            .map_err(|e| DataFusionError::Plan(format!("invalid path in '{location}': {e}")))?;
        match scheme {
            "file" => {
                let local = url.to_file_path().map_err(|()| {
                    DataFusionError::Plan(format!("invalid file URL '{location}'"))
                })?;
                self.local(&local)
            }
            "s3" | "http" | "https" => {
                let root = format!("{scheme}://{}", url.authority());
                let store = self.store_for(&root, &url, options)?;
                Ok(StoreUrl { root, path, store })
            }
            other => plan_err!(
                "unsupported URL scheme '{other}' in '{location}': use a local path, file://, s3:// or http(s)://"
            ),
        }
    }

    fn local(&self, path: &std::path::Path) -> Result<StoreUrl> {
        let absolute = std::path::absolute(path).map_err(|e| {
            DataFusionError::Plan(format!("invalid path '{}': {e}", path.display()))
        })?;
        let object_path = Path::from_absolute_path(&absolute).map_err(|e| {
            DataFusionError::Plan(format!("invalid path '{}': {e}", path.display()))
        })?;
        let store = self.cached("file://", || Ok(Arc::new(LocalFileSystem::new())))?;
        Ok(StoreUrl {
            root: "file://".to_string(),
            path: object_path,
            store,
        })
    }

    fn store_for(
        &self,
        root: &str,
        url: &Url,
        options: &HashMap<String, String>,
    ) -> Result<Arc<dyn ObjectStore>> {
        if url.scheme() == "s3" {
            let bucket = url.host_str().unwrap_or_default().to_string();
            if !options.is_empty() {
                return self.build_s3(&bucket, options);
            }
            return self.cached(root, || self.build_s3(&bucket, &HashMap::new()));
        }
        self.cached(root, || {
            // Plain http:// is the user's choice of URL; https:// stays TLS.
            let options = ClientOptions::new().with_allow_http(root.starts_with("http://"));
            let mut builder = HttpBuilder::new()
                .with_url(format!("{root}/"))
                .with_client_options(options);
            if let Some(io) = &self.io {
                builder = builder.with_http_connector(SpawnedReqwestConnector::new(io.clone()));
            }
            let store = builder
                .build()
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            Ok(Arc::new(store))
        })
    }

    fn cached(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<Arc<dyn ObjectStore>>,
    ) -> Result<Arc<dyn ObjectStore>> {
        let mut stores = self
            .stores
            .lock()
            .map_err(|_| DataFusionError::Internal("store registry lock poisoned".into()))?;
        if let Some(store) = stores.get(key) {
            return Ok(Arc::clone(store));
        }
        let store = build()?;
        stores.insert(key.to_string(), Arc::clone(&store));
        Ok(store)
    }

    fn build_s3(
        &self,
        bucket: &str,
        options: &HashMap<String, String>,
    ) -> Result<Arc<dyn ObjectStore>> {
        if bucket.is_empty() {
            return plan_err!("s3 URL without a bucket name");
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let merged = self.s3_options.iter().chain(options.iter());
        for (key, value) in merged {
            let Some(key) = s3_config_key(key)? else {
                continue;
            };
            if key == AmazonS3ConfigKey::Endpoint && value.starts_with("http://") {
                builder = builder.with_allow_http(true);
            }
            builder = builder.with_config(key, value);
        }
        if let Some(io) = &self.io {
            builder = builder.with_http_connector(SpawnedReqwestConnector::new(io.clone()));
        }
        let store = builder.build().map_err(|e| {
            DataFusionError::Plan(format!("cannot configure S3 bucket '{bucket}': {e}"))
        })?;
        Ok(Arc::new(store))
    }
}

/// Maps an option key (`aws.endpoint`, `aws_region`, `region`...) to the S3 builder's key.
/// Keys of other families (`format.*`, `batch_bytes`...) are not S3's and are skipped.
fn s3_config_key(key: &str) -> Result<Option<AmazonS3ConfigKey>> {
    let Some(rest) = key
        .strip_prefix("aws.")
        .or_else(|| key.strip_prefix("aws_"))
    else {
        return Ok(None);
    };
    let normalized = format!("aws_{}", rest.replace('.', "_"));
    if normalized == "aws_allow_http" {
        return Ok(Some(AmazonS3ConfigKey::Client(
            object_store::ClientConfigKey::AllowHttp,
        )));
    }
    AmazonS3ConfigKey::from_str(&normalized)
        .map(Some)
        .map_err(|e| DataFusionError::Plan(format!("unknown S3 option '{key}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_keys_map_to_s3_config() {
        assert_eq!(
            s3_config_key("aws.endpoint").unwrap(),
            Some(AmazonS3ConfigKey::Endpoint)
        );
        assert_eq!(
            s3_config_key("aws.access_key_id").unwrap(),
            Some(AmazonS3ConfigKey::AccessKeyId)
        );
        assert_eq!(s3_config_key("batch_bytes").unwrap(), None);
        assert!(s3_config_key("aws.nonsense").is_err());
    }

    #[test]
    fn local_paths_resolve_to_absolute_object_paths() {
        let registry = StoreRegistry::default();
        let resolved = registry.resolve("some/dir", &HashMap::new()).unwrap();
        assert_eq!(resolved.root, "file://");
        assert!(resolved.path.as_ref().ends_with("some/dir"));
        assert!(registry.resolve("ftp://x/y", &HashMap::new()).is_err());
    }
}
