//! Test environment: a local S3-compatible server (moto), a local HTTP server over the
//! fixtures, engines configured for both, and mediasql servers on loopback ports.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mediasql::Engine;
use mediasql::config::Config;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Tests that time the server's CPU take this for writing; tests that keep the cores busy
/// take it for reading, so that no model work of theirs runs during a timing.
static CPU: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Held while a test measures time or CPU use.
pub async fn timing_the_cpu() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    CPU.write().await
}

/// Held while a test runs models.
pub async fn busy_cpu() -> tokio::sync::RwLockReadGuard<'static, ()> {
    CPU.read().await
}

/// The bucket holding a copy of the fixtures.
pub const BUCKET: &str = "media";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures")
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process killed when dropped.
pub struct Service(pub Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The virtualenv of `scripts/install-test-tools.sh` (moto, psycopg).
pub fn tools_venv() -> PathBuf {
    if let Some(path) = std::env::var_os("MEDIASQL_TOOLS_VENV") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/mediasql/venv")
}

fn moto_server() -> PathBuf {
    let moto = tools_venv().join("bin/moto_server");
    assert!(
        moto.exists(),
        "moto_server not found at {}: run scripts/install-test-tools.sh",
        moto.display()
    );
    moto
}

/// The S3 and HTTP servers the tests read from; stopped when dropped.
pub struct TestEnv {
    _services: Vec<Service>,
    pub s3_endpoint: String,
    pub http_base: String,
}

impl TestEnv {
    pub async fn start() -> Self {
        let s3_port = free_port();
        let moto = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &s3_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let http_port = free_port();
        let http = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &http_port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(fixtures())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        let env = Self {
            _services: vec![Service(moto), Service(http)],
            s3_endpoint: format!("http://127.0.0.1:{s3_port}"),
            http_base: format!("http://127.0.0.1:{http_port}"),
        };
        wait_for_port(s3_port, "moto_server");
        wait_for_port(http_port, "http.server");
        env.upload_fixtures().await;
        env
    }

    pub fn s3_options(&self) -> HashMap<String, String> {
        [
            ("aws.endpoint", self.s3_endpoint.as_str()),
            ("aws.access_key_id", "test"),
            ("aws.secret_access_key", "test"),
            ("aws.region", "us-east-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    async fn upload_fixtures(&self) {
        let created = reqwest::Client::new()
            .put(format!("{}/{BUCKET}", self.s3_endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        let store = AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_endpoint(&self.s3_endpoint)
            .with_allow_http(true)
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .with_region("us-east-1")
            .build()
            .expect("s3 client");
        let root = fixtures();
        for file in walk(&root) {
            let key = file.strip_prefix(&root).expect("under fixtures");
            let key = ObjectPath::from(key.to_string_lossy().as_ref());
            let bytes = std::fs::read(&file).expect("read fixture");
            store
                .put(&key, PutPayload::from(bytes))
                .await
                .expect("upload fixture");
        }
    }

    /// An engine reading S3 from this environment, with a `test_env` view naming the servers.
    pub async fn engine(&self) -> Engine {
        // Fixed partitions: EXPLAIN output must not depend on the machine's cores.
        let config = Config {
            s3: self.s3_options(),
            target_partitions: Some(2),
            // Each engine keeps its CREATE MODELs apart from the user's and other tests'.
            user_models_dir: Some(temp_dir("user-models")),
            // A cache of its own: each run starts cold, and what one engine keeps is not
            // another's answer.
            cache_dir: Some(temp_dir("inference-cache")),
            ..Config::default()
        };
        let engine = Engine::new(&config).expect("engine");
        let view = format!(
            "CREATE VIEW test_env AS SELECT '{}' AS http_base, 's3://{BUCKET}' AS s3_base",
            self.http_base
        );
        engine.context().sql(&view).await.expect("test_env view");
        engine
    }
}

/// A new empty directory under the system temp dir, unique to this process and call.
pub fn temp_dir(what: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mediasql-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read fixtures dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A mediasql server on a loopback port; shut down when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// A server letting loopback clients in without a password.
    pub async fn start(engine: Engine) -> Self {
        let options = mediasql::server::ServerOptions {
            max_connections: 16,
            security: mediasql::config::Security::trust(),
        };
        Self::start_with(engine, options).await
    }

    pub async fn start_with(engine: Engine, options: mediasql::server::ServerOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(mediasql::server::serve(
            listener,
            engine,
            options,
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            stop: Some(stop),
        }
    }

    pub async fn connect(&self) -> tokio_postgres::Client {
        Self::client_at(self.addr).await
    }

    pub async fn client_at(addr: SocketAddr) -> tokio_postgres::Client {
        let config = format!(
            "host=127.0.0.1 port={} user=tester dbname=media",
            addr.port()
        );
        let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
            .await
            .expect("connect to mediasql");
        tokio::spawn(connection);
        client
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
