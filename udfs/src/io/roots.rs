//! Media roots: the only places a server's clients may read media from, and write to when
//! writes are allowed.
//!
//! A root is a local directory or a URL prefix (`s3://bucket/prefix`, `https://host/`).
//! Local paths are checked after resolving symlinks and `..`, so neither can lead out of a
//! root; a path that does not exist yet (a `COPY TO` target) is checked through its nearest
//! existing ancestor. URLs are compared segment by segment and may not hold `..` segments.
//! A refusal is a [`SqlError`](crate::error::SqlError) with SQLSTATE 42501
//! (insufficient_privilege).

use std::path::{Component, Path, PathBuf};

use datafusion::common::{DataFusionError, Result};
use url::Url;

use crate::error::{SqlState, sql_error};

/// A location outside the media roots, or a write while writes are off (SQLSTATE 42501).
pub fn permission_denied(message: String) -> DataFusionError {
    sql_error(SqlState::InsufficientPrivilege, message)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    /// A canonical local directory.
    Dir(PathBuf),
    /// `scheme://authority/path`, without a trailing `/`.
    Url(String),
}

/// Where clients may read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRoots {
    roots: Vec<Root>,
    writes: bool,
}

impl MediaRoots {
    /// Roots from directories and URL prefixes; local ones must exist. With `writes`,
    /// `COPY TO` and `INSERT` may write below the roots.
    pub fn new(roots: &[String], writes: bool) -> Result<Self> {
        let roots = roots
            .iter()
            .map(|root| parse_root(root))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { roots, writes })
    }

    /// The roots as configured, for logs and error messages.
    pub fn describe(&self) -> String {
        if self.roots.is_empty() {
            return "none".into();
        }
        let names: Vec<String> = self
            .roots
            .iter()
            .map(|root| match root {
                Root::Dir(dir) => dir.display().to_string(),
                Root::Url(url) => url.clone(),
            })
            .collect();
        names.join(", ")
    }

    /// Whether writes below the roots are allowed.
    pub fn writes_allowed(&self) -> bool {
        self.writes
    }

    /// Refuses reading `location` (a local path or URL) when it is outside every root.
    pub fn check_read(&self, location: &str) -> Result<()> {
        self.check(location, "read")
    }

    /// Refuses writing `location` when writes are off or it is outside every root.
    pub fn check_write(&self, location: &str) -> Result<()> {
        if !self.writes {
            return Err(permission_denied(format!(
                "permission denied to write '{location}': writing files on the server is off \
                 (set allow_writes = true in mediasql.toml)"
            )));
        }
        self.check(location, "write")
    }

    /// Refuses the local `path` (symlinks resolved) when it is outside every root.
    pub fn check_local(&self, path: &Path) -> Result<()> {
        if self.local_allowed(path) {
            Ok(())
        } else {
            Err(self.outside(&path.display().to_string(), "read"))
        }
    }

    fn check(&self, location: &str, action: &str) -> Result<()> {
        let allowed = match location.split_once("://") {
            None => self.local_allowed(Path::new(location)),
            Some(("file", _)) => Url::parse(location)
                .ok()
                .and_then(|url| url.to_file_path().ok())
                .is_some_and(|path| self.local_allowed(&path)),
            Some(_) => normalize_url(location).is_some_and(|url| self.url_allowed(&url)),
        };
        if allowed {
            Ok(())
        } else {
            Err(self.outside(location, action))
        }
    }

    fn outside(&self, location: &str, action: &str) -> DataFusionError {
        permission_denied(format!(
            "permission denied to {action} '{location}': it is outside the media roots ({})",
            self.describe()
        ))
    }

    fn local_allowed(&self, path: &Path) -> bool {
        let Some(resolved) = resolve_local(path) else {
            return false;
        };
        self.roots
            .iter()
            .any(|root| matches!(root, Root::Dir(dir) if resolved.starts_with(dir)))
    }

    fn url_allowed(&self, url: &str) -> bool {
        self.roots.iter().any(|root| match root {
            Root::Url(prefix) => {
                url == prefix
                    || url
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/') || prefix.ends_with("://"))
            }
            Root::Dir(_) => false,
        })
    }
}

fn parse_root(root: &str) -> Result<Root> {
    let invalid =
        |why: String| DataFusionError::Configuration(format!("media root '{root}': {why}"));
    match root.split_once("://") {
        None | Some(("file", _)) => {
            let path = match root.split_once("://") {
                None => PathBuf::from(root),
                Some(_) => Url::parse(root)
                    .ok()
                    .and_then(|url| url.to_file_path().ok())
                    .ok_or_else(|| invalid("not a file URL".into()))?,
            };
            let dir = path.canonicalize().map_err(|e| invalid(e.to_string()))?;
            Ok(Root::Dir(dir))
        }
        Some((scheme, "")) => Ok(Root::Url(format!("{scheme}://"))),
        Some(_) => normalize_url(root)
            .map(Root::Url)
            .ok_or_else(|| invalid("not a valid URL".into())),
    }
}

/// `scheme://authority/path` without a trailing `/`; None for URLs with `..` segments.
fn normalize_url(location: &str) -> Option<String> {
    let url = Url::parse(location).ok()?;
    let path = url.path();
    let escapes = path
        .split('/')
        .any(|segment| segment == ".." || segment.eq_ignore_ascii_case("%2e%2e"));
    if escapes {
        return None;
    }
    let text = format!("{}://{}{}", url.scheme(), url.authority(), path);
    Some(text.trim_end_matches('/').to_string())
}

/// The canonical form of `path`: symlinks and `..` resolved through its nearest existing
/// ancestor. None when the part that does not exist yet holds `..`.
fn resolve_local(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut resolved = canonical;
            for component in missing.iter().rev() {
                resolved.push(component);
            }
            return Some(resolved);
        }
        let name = existing.file_name()?;
        missing.push(name.to_owned());
        existing = existing.parent()?;
        if existing.components().any(|c| c == Component::ParentDir) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(result: Result<()>) -> bool {
        result.is_err_and(|e| {
            crate::error::find_sql_error(&e)
                .is_some_and(|e| e.state == SqlState::InsufficientPrivilege)
        })
    }

    #[test]
    fn local_paths_stay_inside_their_roots() {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir(&media).unwrap();
        std::fs::write(media.join("a.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("secret"), b"x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret"), media.join("link")).unwrap();
        let roots = MediaRoots::new(&[media.display().to_string()], false).unwrap();
        assert!(
            roots
                .check_read(&media.join("a.jpg").display().to_string())
                .is_ok()
        );
        assert!(
            roots
                .check_read(&format!("file://{}/a.jpg", media.display()))
                .is_ok()
        );
        assert!(
            roots
                .check_read(&format!("{}/new/dir", media.display()))
                .is_ok()
        );
        assert!(denied(roots.check_read("/etc/passwd")));
        assert!(denied(roots.check_read("file:///etc/passwd")));
        assert!(denied(
            roots.check_read(&format!("{}/../secret", media.display()))
        ));
        assert!(denied(
            roots.check_read(&format!("{}/x/../../secret", media.display()))
        ));
        #[cfg(unix)]
        assert!(denied(
            roots.check_read(&media.join("link").display().to_string())
        ));
        // A sibling whose name starts with the root's is not inside it.
        assert!(denied(
            roots.check_read(&format!("{}-other/a", media.display()))
        ));
    }

    #[test]
    fn urls_match_by_segment() {
        let roots =
            MediaRoots::new(&["s3://bucket/photos".into(), "https://".into()], true).unwrap();
        assert!(roots.check_read("s3://bucket/photos/a.jpg").is_ok());
        assert!(roots.check_read("s3://bucket/photos").is_ok());
        assert!(roots.check_read("https://example.com/a.jpg").is_ok());
        assert!(denied(roots.check_read("s3://bucket/photos2/a.jpg")));
        assert!(denied(roots.check_read("s3://bucket/photos/../secrets/a")));
        assert!(denied(roots.check_read("s3://other/photos/a.jpg")));
        assert!(denied(roots.check_read("http://169.254.169.254/latest")));
    }

    #[test]
    fn writes_are_off_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        let read_only = MediaRoots::new(std::slice::from_ref(&root), false).unwrap();
        assert!(denied(read_only.check_write(&format!("{root}/out.csv"))));
        let writable = MediaRoots::new(std::slice::from_ref(&root), true).unwrap();
        assert!(writable.check_write(&format!("{root}/out.csv")).is_ok());
        assert!(denied(writable.check_write("/tmp/elsewhere.csv")));
        assert!(MediaRoots::new(&["/no/such/dir".into()], false).is_err());
    }
}
