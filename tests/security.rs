//! Who gets in and what they may touch, over the wire: SCRAM passwords, TLS, the connection
//! limit and startup timeout, and the media roots in every form a path can reach the server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mediasql::config::{Config, Security};
use mediasql::engine::Engine;
use mediasql::server::ServerOptions;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_postgres::NoTls;

use crate::common::{TestServer, fixtures, temp_dir};

fn options(security: Security, max_connections: usize) -> ServerOptions {
    ServerOptions {
        max_connections,
        security,
    }
}

fn with_password(user: &str, password: &str) -> Security {
    let mut security = Security::default();
    security.users.insert(user.into(), password.into());
    security
}

async fn login(server: &TestServer, user: &str, password: &str) -> Result<(), String> {
    let config = format!(
        "host=127.0.0.1 port={} user={user} password='{password}' dbname=mediasql",
        server.addr.port()
    );
    match tokio_postgres::connect(&config, NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            client
                .simple_query("SELECT 1")
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(e) => Err(e.as_db_error().map_or_else(
            || e.to_string(),
            |db| format!("{} {}", db.code().code(), db.message()),
        )),
    }
}

#[tokio::test]
async fn scram_passwords_decide_who_gets_in() {
    let engine = Engine::new(&Config::default()).unwrap();
    let security = with_password("alice", "correct horse");
    let server = TestServer::start_with(engine, options(security, 8)).await;
    login(&server, "alice", "correct horse").await.unwrap();
    let wrong = login(&server, "alice", "battery staple").await.unwrap_err();
    assert!(wrong.starts_with("28P01"), "{wrong}");
    assert!(wrong.contains("\"alice\""), "{wrong}");
    // An unknown user fails the same way (no telling which users exist).
    let unknown = login(&server, "mallory", "correct horse")
        .await
        .unwrap_err();
    assert!(unknown.starts_with("28P01"), "{unknown}");
}

/// This machine's first non-loopback IPv4 address, if it has one.
fn non_loopback_address() -> Option<std::net::IpAddr> {
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn trust_lets_in_loopback_clients_only() {
    let Some(ip) = non_loopback_address() else {
        eprintln!("no non-loopback address on this machine: remote refusal not checked");
        return;
    };
    let engine = Engine::new(&Config::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let options = options(Security::trust(), 8);
    tokio::spawn(mediasql::server::serve(
        listener,
        engine,
        options,
        std::future::pending(),
    ));
    let remote = format!("host={ip} port={port} user=t dbname=mediasql");
    let error = tokio_postgres::connect(&remote, NoTls).await.err().unwrap();
    assert_eq!(error.code().map(|c| c.code()), Some("28000"), "{error}");
    let local = format!("host=127.0.0.1 port={port} user=t dbname=mediasql");
    let (client, connection) = tokio_postgres::connect(&local, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.simple_query("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn the_connection_limit_answers_53300_and_half_open_sockets_hold_no_place() {
    let engine = Engine::new(&Config::default()).unwrap();
    let mut security = Security::trust();
    security.startup_timeout = Duration::from_secs(2);
    let server = TestServer::start_with(engine, options(security, 2)).await;
    // 200 sockets that never send a startup message.
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let first = server.connect().await;
    let second = server.connect().await;
    let config = format!("host=127.0.0.1 port={} user=t", server.addr.port());
    let error = tokio_postgres::connect(&config, NoTls).await.err().unwrap();
    assert_eq!(error.code().map(|c| c.code()), Some("53300"), "{error}");
    drop(first);
    // The place is given back when the connection ends.
    let mut third = None;
    for _ in 0..50 {
        if let Ok((client, connection)) = tokio_postgres::connect(&config, NoTls).await {
            tokio::spawn(connection);
            third = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(third.is_some(), "a place frees when a client leaves");
    second.simple_query("SELECT 1").await.unwrap();
    // The half-open sockets were closed after the startup timeout.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut byte = [0u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(2), idle[0].read(&mut byte)).await;
    assert!(matches!(closed, Ok(Ok(0))), "{closed:?}");
}

/// An engine whose clients may read only `root` (and write there when `writes`).
fn rooted_engine(root: &Path, writes: bool) -> Engine {
    let config = Config {
        media_roots: Some(vec![root.display().to_string()]),
        allow_writes: writes,
        user_models_dir: Some(temp_dir("security-models")),
        ..Config::default()
    };
    Engine::new(&config).unwrap()
}

async fn sql_state(client: &tokio_postgres::Client, sql: &str) -> String {
    match client.simple_query(sql).await {
        Ok(_) => "ok".into(),
        Err(e) => {
            let db = e.as_db_error().expect("a server error");
            format!("{} {}", db.code().code(), db.message())
        }
    }
}

#[tokio::test]
async fn every_path_outside_the_media_roots_is_refused_with_42501() {
    let root = temp_dir("security-root");
    let images = root.join("images");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::copy(
        fixtures().join("images/chelsea.jpg"),
        images.join("cat.jpg"),
    )
    .unwrap();
    let outside = temp_dir("security-outside");
    std::fs::copy(
        fixtures().join("images/chelsea.jpg"),
        outside.join("secret.jpg"),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.join("secret.jpg"), images.join("link.jpg")).unwrap();
    let server = TestServer::start(rooted_engine(&root, false)).await;
    let client = server.connect().await;
    let inside = images.display();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/models/mean_colour.onnx");
    let refused = [
        "SELECT * FROM read_media('/etc/passwd')".to_string(),
        format!("SELECT * FROM read_media('{inside}/../../security-outside')"),
        format!("SELECT * FROM read_media('{inside}/link.jpg')"),
        "SELECT download('file:///etc/passwd')".into(),
        "SELECT download('/etc/passwd', on_error => 'null')".into(),
        "SELECT download('http://169.254.169.254/latest/meta-data')".into(),
        "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'".into(),
        "CREATE EXTERNAL TABLE m STORED AS MEDIA LOCATION '/etc'".into(),
        format!(
            "CREATE EXTERNAL TABLE m STORED AS MEDIA LOCATION '{}'",
            outside.display()
        ),
        format!("COPY (SELECT 1) TO '{}/out.csv'", root.display()),
        "COPY (SELECT 1) TO '/tmp/mediasql-should-not-exist.csv'".into(),
        format!(
            "CREATE MODEL m FROM '{}' WITH (labels 'a,b,c')",
            model.display()
        ),
        format!(
            "CREATE MODEL m FROM '{inside}/cat.jpg' WITH (labels '{}')",
            fixtures()
                .join("../models/mean_colour.labels.txt")
                .display()
        ),
    ];
    for sql in &refused {
        let state = sql_state(&client, sql).await;
        assert!(
            state.starts_with("42501 permission denied"),
            "{sql}: {state}"
        );
    }
    assert!(!Path::new("/tmp/mediasql-should-not-exist.csv").exists());
    // Inside the roots all is as usual, and the listing skips the symlink out.
    let rows = client
        .simple_query(&format!("SELECT path FROM read_media('{inside}')"))
        .await
        .unwrap();
    let paths: Vec<String> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    assert_eq!(paths, vec![format!("{inside}/cat.jpg")]);
    let created = format!("CREATE EXTERNAL TABLE pics STORED AS MEDIA LOCATION '{inside}'");
    assert_eq!(sql_state(&client, &created).await, "ok");
    // The session goes on after the refusals.
    assert_eq!(sql_state(&client, "SELECT count(*) FROM pics").await, "ok");
}

#[tokio::test]
async fn writes_go_only_below_the_roots_and_only_when_allowed() {
    let root = temp_dir("security-writes");
    let server = TestServer::start(rooted_engine(&root, true)).await;
    let client = server.connect().await;
    let target = root.join("out.csv");
    let copy = format!("COPY (SELECT 1 AS a) TO '{}'", target.display());
    assert_eq!(sql_state(&client, &copy).await, "ok");
    assert!(target.exists());
    let escape = format!("COPY (SELECT 1) TO '{}/../escaped.csv'", root.display());
    let state = sql_state(&client, &escape).await;
    assert!(state.starts_with("42501"), "{state}");
}

/// A CA and a certificate for `localhost` signed by it, made with openssl.
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |command: &str| {
        let output = Command::new("openssl")
            .args(command.split_whitespace())
            .current_dir(dir)
            .output()
            .expect("openssl (scripts/install-test-tools.sh installs it)");
        assert!(output.status.success(), "openssl {command}: {output:?}");
    };
    let new_key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    run(&format!(
        "req -x509 {new_key} -keyout ca.key -out ca.crt -days 2 -subj /CN=mediasql-test-CA"
    ));
    run(&format!(
        "req {new_key} -keyout server.key -out server.csr -subj /CN=localhost"
    ));
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost\n").unwrap();
    run(
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
         -days 2 -extfile ext.cnf",
    );
    (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

fn psql(port: u16, password: &str, sslmode: &str, ca: &Path) -> std::process::Output {
    Command::new("psql")
        .args([
            &format!(
                "host=localhost port={port} user=alice dbname=mediasql sslmode={sslmode} \
                 sslrootcert={}",
                ca.display()
            ),
            "-Atc",
            "SELECT 41 + 1",
        ])
        .env("PGPASSWORD", password)
        .output()
        .expect("psql (scripts/install-test-tools.sh installs it)")
}

#[tokio::test]
async fn tls_is_required_when_configured_and_verifies_against_the_ca() {
    let dir = temp_dir("security-tls");
    let (ca, cert, key) = make_certificates(&dir);
    let mut security = with_password("alice", "pw");
    security.tls_cert = Some(cert);
    security.tls_key = Some(key);
    security.require_tls = true;
    let engine = Engine::new(&Config::default()).unwrap();
    let server = TestServer::start_with(engine, options(security, 8)).await;
    let port = server.addr.port();
    let verified = tokio::task::spawn_blocking({
        let ca = ca.clone();
        move || psql(port, "pw", "verify-full", &ca)
    });
    let verified = verified.await.unwrap();
    assert!(verified.status.success(), "{verified:?}");
    assert_eq!(String::from_utf8_lossy(&verified.stdout).trim(), "42");
    let plain = tokio::task::spawn_blocking(move || psql(port, "pw", "disable", &ca));
    let plain = plain.await.unwrap();
    assert!(!plain.status.success());
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.contains("requires TLS"), "{stderr}");
}
