//! Where a media table's files live: a base (local dir, `file://`, `s3://bucket/prefix`,
//! `http(s)://`) plus an optional glob over paths below it, and an optional kind filter.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::common::{DataFusionError, Result, plan_err};
use futures::{Stream, StreamExt, TryStreamExt};
use globset::{GlobBuilder, GlobMatcher};
use mediasql_udfs::io::{MediaRoots, StoreRegistry};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

/// Which files a table holds, by kind. Chosen by file extension at listing time, so that
/// restricting a table costs no reads; the `mime` and `kind` columns are still sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    Any,
    Image,
    Audio,
    Video,
    Pdf,
}

impl KindFilter {
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "any" | "" => Ok(Self::Any),
            "image" => Ok(Self::Image),
            "audio" => Ok(Self::Audio),
            "video" => Ok(Self::Video),
            "pdf" => Ok(Self::Pdf),
            other => {
                plan_err!("unknown media kind '{other}': expected image, audio, video, pdf or any")
            }
        }
    }

    /// The name [`KindFilter::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Pdf => "pdf",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Any => &[],
            Self::Image => &[
                "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "avif", "heic", "ico",
            ],
            Self::Audio => &[
                "wav", "mp3", "flac", "ogg", "oga", "opus", "m4a", "aac", "aif", "aiff", "wma",
            ],
            Self::Video => &["mp4", "mov", "mkv", "webm", "avi", "m4v", "mpg", "mpeg"],
            Self::Pdf => &["pdf"],
        }
    }

    fn accepts(self, path: &str) -> bool {
        if self == Self::Any {
            return true;
        }
        let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        ext.is_some_and(|e| self.extensions().contains(&e.as_str()))
    }
}

/// A parsed table location.
#[derive(Debug, Clone)]
pub struct MediaLocation {
    /// The location as the user wrote it (shown by EXPLAIN).
    pub original: String,
    /// The user's base, without trailing `/`: listed paths are shown as `base/relative`.
    display_base: String,
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    glob: Option<GlobMatcher>,
    kind: KindFilter,
    /// For local locations under media roots: listed files must resolve inside them too
    /// (the listing follows symlinks).
    local_roots: Option<Arc<MediaRoots>>,
    /// Whether the location is on the local file system.
    local: bool,
    /// The store settings it was parsed with (over the registry's), to parse it again in
    /// another process.
    store_options: HashMap<String, String>,
}

/// One listed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// The path shown to users (and accepted by `download`).
    pub path: String,
    pub meta: ObjectMeta,
}

impl MediaLocation {
    /// Parses `location`; S3 settings come from the registry, overridden by `options`.
    pub fn parse(
        location: &str,
        kind: KindFilter,
        stores: &StoreRegistry,
        options: &HashMap<String, String>,
    ) -> Result<Self> {
        if location.trim().is_empty() {
            return plan_err!("media location is empty");
        }
        let (base, pattern) = split_glob(location);
        let glob = pattern
            .map(|p| {
                GlobBuilder::new(&p)
                    .literal_separator(true)
                    .build()
                    .map(|g| g.compile_matcher())
                    .map_err(|e| DataFusionError::Plan(format!("invalid glob '{p}': {e}")))
            })
            .transpose()?;
        let resolved = stores.resolve(if base.is_empty() { "." } else { &base }, options)?;
        let local_roots = stores
            .roots()
            .filter(|_| resolved.root == "file://")
            .cloned();
        Ok(Self {
            original: location.to_string(),
            display_base: base,
            store: resolved.store,
            prefix: resolved.path,
            glob,
            kind,
            local_roots,
            local: resolved.root == "file://",
            store_options: options.clone(),
        })
    }

    /// Which files it holds, by kind.
    pub fn kind(&self) -> KindFilter {
        self.kind
    }

    /// The store settings it was parsed with.
    pub fn store_options(&self) -> &HashMap<String, String> {
        &self.store_options
    }

    /// Whether the location is on the local file system: its listed paths can be opened in
    /// place ([`local_path`]) rather than read into memory.
    pub fn is_local(&self) -> bool {
        self.local
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Lists matching files in path order of the store's listing (S3 and local: lexical
    /// within a directory). A location naming a single object lists that object.
    pub fn list(&self) -> impl Stream<Item = Result<MediaFile>> + Send + 'static {
        let this = self.clone();
        let head = self.clone();
        let seen = Arc::new(AtomicBool::new(false));
        let seen_in_listing = Arc::clone(&seen);
        let matched = self
            .store
            .list(Some(&self.prefix))
            .map_err(|e| DataFusionError::External(Box::new(e)))
            .try_filter_map(move |meta| {
                seen_in_listing.store(true, Ordering::Relaxed);
                futures::future::ok(this.to_file(meta))
            });
        // Nothing below the location: it may name one object.
        let single = futures::stream::once(async move {
            if seen.load(Ordering::Relaxed) {
                return Ok(None);
            }
            head.head_if_single().await
        })
        .try_filter_map(futures::future::ok);
        matched.chain(single)
    }

    async fn head_if_single(&self) -> Result<Option<MediaFile>> {
        if self.glob.is_some() {
            return Ok(None);
        }
        match self.store.head(&self.prefix).await {
            Ok(meta) if self.kind.accepts(meta.location.as_ref()) => Ok(Some(MediaFile {
                path: self.display_base.clone(),
                meta,
            })),
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(None),
            // Local directories answer `head` with an error of their own: not a single file.
            Err(_) => Ok(None),
        }
    }

    fn to_file(&self, meta: ObjectMeta) -> Option<MediaFile> {
        let full = meta.location.as_ref();
        let prefix = self.prefix.as_ref();
        let relative = full
            .strip_prefix(prefix)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(full);
        if relative.is_empty() || !self.kind.accepts(relative) {
            return None;
        }
        if let Some(roots) = &self.local_roots
            && roots
                .check_local(&std::path::Path::new("/").join(full))
                .is_err()
        {
            log::warn!("skipping {full}: a symlink out of the media roots");
            return None;
        }
        if let Some(glob) = &self.glob
            && !glob.is_match(relative)
        {
            return None;
        }
        let path = if self.display_base.is_empty() {
            relative.to_string()
        } else {
            format!("{}/{relative}", self.display_base.trim_end_matches('/'))
        };
        Some(MediaFile { path, meta })
    }
}

/// The file-system path of a file listed from a local location (its path as shown, without
/// a `file://` scheme).
pub fn local_path(path: &str) -> &std::path::Path {
    std::path::Path::new(path.strip_prefix("file://").unwrap_or(path))
}

/// The part of `location` before its first glob segment (the directory it lists).
pub fn glob_base(location: &str) -> String {
    split_glob(location).0
}

/// Splits `location` at its first path segment holding a glob character.
/// `sql-tests/fixtures/**/*.jpg` → (`sql-tests/fixtures`, `**/*.jpg`).
fn split_glob(location: &str) -> (String, Option<String>) {
    let (scheme, rest) = match location.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), location),
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let first_glob = segments
        .iter()
        .position(|s| s.contains(['*', '?', '[', '{']));
    match first_glob {
        None => (location.trim_end_matches('/').to_string(), None),
        Some(i) => {
            let base = segments[..i].join("/");
            let pattern = segments[i..].join("/");
            (format!("{scheme}{base}"), Some(pattern))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_base_and_glob() {
        assert_eq!(
            split_glob("sql-tests/fixtures/**/*.jpg"),
            ("sql-tests/fixtures".into(), Some("**/*.jpg".into()))
        );
        assert_eq!(
            split_glob("s3://bucket/photos/**"),
            ("s3://bucket/photos".into(), Some("**".into()))
        );
        assert_eq!(split_glob("./photos/"), ("./photos".into(), None));
        assert_eq!(split_glob("*.png"), ("".into(), Some("*.png".into())));
    }

    #[test]
    fn kind_filter_uses_extensions() {
        assert!(KindFilter::Image.accepts("a/b.JPG"));
        assert!(!KindFilter::Image.accepts("a/b.wav"));
        assert!(KindFilter::Any.accepts("README"));
        assert!(KindFilter::parse("movie").is_err());
    }
}
