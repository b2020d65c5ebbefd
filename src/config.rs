//! Configuration: `mediasql.toml` and command-line overrides.
//!
//! ```toml
//! listen = "127.0.0.1:5433"
//! memory_limit = "4GiB"               # all queries together; default half the machine's
//! query_memory_limit = "1GiB"         # one statement; default half of memory_limit
//! max_running_queries = 8           # queries reading tables at once; default 2 per core
//! media_roots = ["/srv/media", "s3://bucket/photos"]
//! auth = "scram-sha-256"            # or "trust": loopback clients need no password
//! [users]
//! alice = "a password"              # or a PostgreSQL SCRAM-SHA-256$... verifier
//! [tls]
//! cert = "server.crt"
//! key = "server.key"
//! require = true
//! [s3]
//! "aws.endpoint" = "http://127.0.0.1:9000"
//! [tables.photos]
//! location = "s3://bucket/photos/"
//! kind = "image"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use datafusion::common::{DataFusionError, Result};
use mediasql_udfs::models::Device;
use serde::Deserialize;

/// The default address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5433";

/// One declared media table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub name: String,
    pub location: String,
    /// Media table options (`kind`, `batch_bytes`, `aws.*` ...).
    pub options: HashMap<String, String>,
}

impl TableDef {
    /// Parses `NAME=LOCATION` from the command line.
    pub fn parse_arg(arg: &str) -> Result<Self> {
        match arg.split_once('=') {
            Some((name, location)) if !name.is_empty() && !location.is_empty() => Ok(Self {
                name: name.to_string(),
                location: location.to_string(),
                options: HashMap::new(),
            }),
            _ => Err(DataFusionError::Configuration(format!(
                "--table expects NAME=LOCATION, got '{arg}'"
            ))),
        }
    }
}

/// Engine and server settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub tables: Vec<TableDef>,
    /// S3 options applied to every S3 location (over the AWS environment variables).
    pub s3: HashMap<String, String>,
    /// Bytes of memory all queries together may hold (DataFusion's memory pool); default
    /// half the machine's memory.
    pub memory_limit: usize,
    /// Bytes one statement may hold; default half of `memory_limit`. A session changes its
    /// own with `SET datafusion.runtime.memory_limit`, within `memory_limit`.
    pub query_memory_limit: Option<usize>,
    pub target_partitions: Option<usize>,
    /// Connections served at once.
    pub max_connections: usize,
    /// Queries that read tables running at once; the others wait in order (catalog queries
    /// and `SELECT 1` never wait).
    pub max_running_queries: usize,
    /// Where model files and the ONNX Runtime library are (`MEDIASQL_MODELS`).
    pub models_dir: PathBuf,
    /// Where `CREATE MODEL` keeps user models (default `<models_dir>/user`).
    pub user_models_dir: Option<PathBuf>,
    /// Where models run (`cpu`; `cuda` in builds with the `cuda` feature).
    pub device: Device,
    /// Directories and URL prefixes clients may read media from; None: anywhere the process
    /// can (in-process use). `serve` defaults them to the tables' locations.
    pub media_roots: Option<Vec<String>>,
    /// Whether `COPY TO` and `INSERT` may write files below the media roots.
    pub allow_writes: bool,
    /// Who may connect, and how.
    pub security: Security,
    /// The cluster scheduler queries over media tables run on (`df://HOST:PORT`); None: this
    /// process runs them.
    pub cluster: Option<String>,
    /// Where the inference cache keeps model results (`[cache] dir`, `--cache-dir`);
    /// None: not kept. Default `~/.cache/mediasql/inference`.
    pub cache_dir: Option<PathBuf>,
    /// Bytes the inference cache may hold before it evicts the least recently used.
    pub cache_size: u64,
}

/// How clients authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// SCRAM-SHA-256 against [`Security::users`].
    #[default]
    Scram,
    /// No password, for clients on loopback only.
    Trust,
}

/// The server's doors: authentication, TLS, and how long a client may take to start.
#[derive(Debug, Clone)]
pub struct Security {
    pub auth: AuthMethod,
    /// User name → password, or a PostgreSQL `SCRAM-SHA-256$...` verifier.
    pub users: BTreeMap<String, String>,
    /// PEM certificate chain and private key: TLS is offered when both are set.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Refuse clients that do not use TLS.
    pub require_tls: bool,
    /// A connection that has not finished its startup and authentication by then is closed.
    pub startup_timeout: Duration,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            auth: AuthMethod::Scram,
            users: BTreeMap::new(),
            tls_cert: None,
            tls_key: None,
            require_tls: false,
            startup_timeout: Duration::from_secs(10),
        }
    }
}

impl Security {
    /// Loopback clients without a password (tests, the demo).
    pub fn trust() -> Self {
        Self {
            auth: AuthMethod::Trust,
            ..Self::default()
        }
    }
}

impl AuthMethod {
    fn parse(text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "scram-sha-256" | "scram" | "password" => Ok(Self::Scram),
            "trust" => Ok(Self::Trust),
            other => Err(DataFusionError::Configuration(format!(
                "unknown auth '{other}': expected \"scram-sha-256\" or \"trust\""
            ))),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_string(),
            tables: Vec::new(),
            s3: HashMap::new(),
            memory_limit: crate::memory::default_server_limit(),
            query_memory_limit: None,
            target_partitions: None,
            max_connections: 100,
            max_running_queries: crate::pools::admission::Admission::default_limit(),
            models_dir: mediasql_udfs::models::default_models_dir(),
            user_models_dir: None,
            device: Device::Cpu,
            media_roots: None,
            allow_writes: false,
            security: Security::default(),
            cluster: None,
            cache_dir: Some(crate::cache::default_dir()),
            cache_size: crate::cache::DEFAULT_SIZE,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    listen: Option<String>,
    memory_limit: Option<String>,
    query_memory_limit: Option<String>,
    target_partitions: Option<usize>,
    max_connections: Option<usize>,
    max_running_queries: Option<usize>,
    models_dir: Option<PathBuf>,
    user_models_dir: Option<PathBuf>,
    device: Option<String>,
    media_roots: Option<Vec<String>>,
    #[serde(default)]
    allow_writes: bool,
    auth: Option<String>,
    startup_timeout_s: Option<f64>,
    #[serde(default)]
    users: BTreeMap<String, String>,
    tls: Option<TlsFile>,
    #[serde(default)]
    s3: HashMap<String, String>,
    #[serde(default)]
    tables: HashMap<String, HashMap<String, String>>,
    cluster: Option<ClusterFile>,
    cache: Option<CacheFile>,
}

/// `[cache]`: the inference cache.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    dir: Option<PathBuf>,
    size: Option<String>,
    #[serde(default = "enabled")]
    enabled: bool,
}

fn enabled() -> bool {
    true
}

/// `[cluster]`: where queries over media tables run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    scheduler: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert: PathBuf,
    key: PathBuf,
    #[serde(default)]
    require: bool,
}

impl Config {
    /// Reads a `mediasql.toml`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            DataFusionError::Configuration(format!("reading {}: {e}", path.display()))
        })?;
        Self::from_toml(&text)
            .map_err(|e| DataFusionError::Configuration(format!("{}: {e}", path.display())))
    }

    fn from_toml(text: &str) -> Result<Self> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| DataFusionError::Configuration(e.to_string()))?;
        let mut config = Config::default();
        if let Some(listen) = file.listen {
            config.listen = listen;
        }
        if let Some(limit) = file.memory_limit {
            config.memory_limit = parse_bytes(&limit)?;
        }
        if let Some(limit) = file.query_memory_limit {
            config.query_memory_limit = Some(parse_bytes(&limit)?);
        }
        config.target_partitions = file.target_partitions;
        if let Some(max) = file.max_connections {
            config.max_connections = max;
        }
        if let Some(max) = file.max_running_queries {
            config.max_running_queries = max;
        }
        if let Some(dir) = file.models_dir {
            config.models_dir = dir;
        }
        config.user_models_dir = file.user_models_dir;
        if let Some(device) = file.device {
            config.device = Device::parse(&device)?;
        }
        config.s3 = file.s3;
        config.cluster = file.cluster.map(|c| c.scheduler);
        if let Some(cache) = file.cache {
            if let Some(dir) = cache.dir {
                config.cache_dir = Some(dir);
            }
            if let Some(size) = cache.size {
                config.cache_size = parse_bytes(&size)? as u64;
            }
            if !cache.enabled {
                config.cache_dir = None;
            }
        }
        config.media_roots = file.media_roots;
        config.allow_writes = file.allow_writes;
        let security = &mut config.security;
        if let Some(auth) = file.auth {
            security.auth = AuthMethod::parse(&auth)?;
        }
        if let Some(seconds) = file.startup_timeout_s {
            security.startup_timeout = Duration::try_from_secs_f64(seconds).map_err(|_| {
                DataFusionError::Configuration(format!("invalid startup_timeout_s {seconds}"))
            })?;
        }
        security.users = file.users;
        if let Some(tls) = file.tls {
            security.tls_cert = Some(tls.cert);
            security.tls_key = Some(tls.key);
            security.require_tls = tls.require;
        }
        let mut names: Vec<_> = file.tables.into_iter().collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, mut options) in names {
            let location = options.remove("location").ok_or_else(|| {
                DataFusionError::Configuration(format!("table {name}: missing 'location'"))
            })?;
            config.tables.push(TableDef {
                name,
                location,
                options,
            });
        }
        Ok(config)
    }
}

/// Parses `512MiB`, `4GiB`, `1G`, `1048576`.
pub fn parse_bytes(text: &str) -> Result<usize> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| DataFusionError::Configuration(format!("invalid size '{text}'")))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(DataFusionError::Configuration(format!(
                "invalid size '{text}'"
            )));
        }
    };
    Ok(n << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_device() {
        let config = Config::from_toml("device = \"CPU\"\n").unwrap();
        assert_eq!(config.device, Device::Cpu);
        let error = Config::from_toml("device = \"tpu\"\n").unwrap_err();
        assert!(
            error.to_string().contains("unknown device 'tpu'"),
            "{error}"
        );
    }

    #[test]
    fn reads_security() {
        let config = Config::from_toml(
            "auth = \"trust\"\nmedia_roots = [\"/srv\"]\nallow_writes = true\n\
             [users]\nalice = \"pw\"\n[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\nrequire = true\n",
        )
        .unwrap();
        assert_eq!(config.security.auth, AuthMethod::Trust);
        assert_eq!(config.media_roots, Some(vec!["/srv".to_string()]));
        assert!(config.allow_writes);
        assert_eq!(config.security.users["alice"], "pw");
        assert!(config.security.require_tls);
        assert_eq!(Config::default().security.auth, AuthMethod::Scram);
        assert!(Config::from_toml("auth = \"md5\"").is_err());
    }

    #[test]
    fn reads_tables_and_sizes() {
        let config = Config::from_toml(
            "memory_limit = \"1GiB\"\n[tables.photos]\nlocation = \"./p\"\nkind = \"image\"\n",
        )
        .unwrap();
        assert_eq!(config.memory_limit, 1 << 30);
        let cache = Config::from_toml("[cache]\ndir = \"/c\"\nsize = \"2GiB\"\n").unwrap();
        assert_eq!(cache.cache_dir.as_deref(), Some(Path::new("/c")));
        assert_eq!(cache.cache_size, 2 << 30);
        let off = Config::from_toml("[cache]\nenabled = false\n").unwrap();
        assert_eq!(off.cache_dir, None);
        assert_eq!(config.tables[0].name, "photos");
        assert_eq!(config.tables[0].options["kind"], "image");
        assert!(Config::from_toml("bogus = 1").is_err());
        assert!(TableDef::parse_arg("x").is_err());
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
    }
}
