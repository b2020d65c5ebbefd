//! Stopping work: a CancelRequest, `statement_timeout` and a client that goes away end a
//! running model query or a heavy plain-SQL query, after which the server's cores fall idle;
//! `SELECT 1` and catalog queries on other connections answer while either runs; a `LIMIT`
//! stops the model after a few batches.
//!
//! The server runs as its own process (the `mediasql` binary) so that its CPU time can be
//! read from /proc without the other tests' work in it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mediasql::config::Config;
use mediasql::engine::Engine;
use mediasql::session::Output;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::common::{busy_cpu, free_port, timing_the_cpu, wait_for_port};

/// Every fixture clip that decodes, 40 times over: minutes of whisper on two cores.
/// How long after a cancel the cores may stay busy: whisper.cpp asks whether to stop after
/// every graph node (vendor/whisper-rs-sys.patch), not only between 30-second encoder passes.
const STOPS_WITHIN: Duration = Duration::from_millis(500);

/// A join with no model in it that keeps every core busy for minutes.
const HEAVY_JOIN: &str = "SELECT count(*) FROM generate_series(1, 1000000) a \
     CROSS JOIN generate_series(1, 1000000) b WHERE random() < 2";

const LONG_TRANSCRIPTION: &str = "SELECT transcribe(content) \
     FROM clips, generate_series(1, 40) WHERE path NOT LIKE '%corrupt%'";

/// A `mediasql serve` process with the fixture clips as table `clips`; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_mediasql"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--table", "clips=sql-tests/fixtures/audio"])
            .env("MEDIASQL_PASSWORD", "cancel-test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mediasql serve");
        wait_for_port(port, "mediasql serve");
        Self { child, port }
    }

    async fn connect(&self) -> (Client, tokio::task::JoinHandle<()>) {
        let config = format!(
            "host=127.0.0.1 port={} user=mediasql password=cancel-test",
            self.port
        );
        let (client, connection) = tokio_postgres::connect(&config, NoTls)
            .await
            .expect("connect");
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        (client, task)
    }

    /// CPU seconds the server has used (utime + stime; Linux ticks are 1/100 s).
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("server stat");
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .expect("stat fields")
            .1
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        ticks / 100.0
    }

    /// Waits until the server has used under 0.2 s of CPU in one second; fails after `within`.
    async fn falls_idle(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let before = self.cpu_seconds();
            tokio::time::sleep(Duration::from_secs(1)).await;
            let used = self.cpu_seconds() - before;
            if used < 0.2 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server still used {used:.2} s of CPU per second"
            );
        }
    }

    /// Asserts that the server, from `since + within` on, uses under 0.1 s of CPU in a
    /// second: its work stopped within `within` of `since`.
    async fn idle_from(&self, since: Instant, within: Duration) {
        tokio::time::sleep_until((since + within).into()).await;
        let before = self.cpu_seconds();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let used = self.cpu_seconds() - before;
        assert!(
            used < 0.1,
            "{within:?} after the stop the server still used {used:.2} s of CPU per second"
        );
    }

    /// Waits until the server is busy (a model is running).
    async fn gets_busy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let before = self.cpu_seconds();
            tokio::time::sleep(Duration::from_millis(500)).await;
            if self.cpu_seconds() - before > 0.3 {
                return;
            }
            assert!(Instant::now() < deadline, "the model query never started");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn cancel_timeout_and_disconnect_stop_model_work() {
    let _alone = timing_the_cpu().await;
    let server = Server::start();

    // CancelRequest: 57014 within a second, the session usable, the cores idle.
    let (client, connection) = server.connect().await;
    let cancel = client.cancel_token();
    let query = tokio::spawn(async move {
        let result = client.simple_query(LONG_TRANSCRIPTION).await;
        (client, result)
    });
    server.gets_busy().await;
    let asked = Instant::now();
    cancel.cancel_query(NoTls).await.unwrap();
    let (client, result) = query.await.unwrap();
    let err = result.expect_err("the query was cancelled");
    assert_eq!(sqlstate(&err), "57014", "{err}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    server.idle_from(asked, STOPS_WITHIN).await;
    let messages = client.simple_query("SELECT 1").await.unwrap();
    let rows = messages
        .iter()
        .filter(|m| matches!(m, SimpleQueryMessage::Row(_)))
        .count();
    assert_eq!(rows, 1);

    // statement_timeout fires while the model runs.
    client
        .simple_query("SET statement_timeout = '1500ms'")
        .await
        .unwrap();
    let started = Instant::now();
    let err = client.simple_query(LONG_TRANSCRIPTION).await.unwrap_err();
    let timed_out = Instant::now();
    assert_eq!(sqlstate(&err), "57014", "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    client
        .simple_query("SET statement_timeout = 0")
        .await
        .unwrap();
    server.idle_from(timed_out, STOPS_WITHIN).await;

    // While a transcription runs, another connection's SELECT 1 answers at once.
    let query = tokio::spawn(async move { client.simple_query(LONG_TRANSCRIPTION).await });
    server.gets_busy().await;
    let (other, _other_connection) = server.connect().await;
    let mut fastest = Duration::MAX;
    for _ in 0..5 {
        let asked = Instant::now();
        other.simple_query("SELECT 1").await.unwrap();
        fastest = fastest.min(asked.elapsed());
    }
    assert!(
        fastest < Duration::from_millis(100),
        "SELECT 1 took {fastest:?}"
    );

    // The client goes away mid-query (its socket closes): its query stops.
    query.abort();
    connection.abort();
    drop(other);
    server.falls_idle(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_heavy_join_never_locks_out_the_others_and_stops_when_asked() {
    let _alone = timing_the_cpu().await;
    let server = Server::start();
    let (client, connection) = server.connect().await;
    let cancel = client.cancel_token();
    let query = tokio::spawn(async move {
        let result = client.simple_query(HEAVY_JOIN).await;
        (client, result)
    });
    server.gets_busy().await;

    // New connections log in and are answered while the join takes every core.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let asked = Instant::now();
        let (other, _other_connection) = server.connect().await;
        other.simple_query("SELECT 1").await.unwrap();
        other
            .simple_query("SELECT count(*) FROM pg_catalog.pg_class")
            .await
            .unwrap();
        slowest = slowest.max(asked.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(200),
        "a new connection's SELECT 1 and catalog query took {slowest:?}"
    );

    // A CancelRequest ends it with 57014, and the cores fall idle.
    let asked = Instant::now();
    cancel.cancel_query(NoTls).await.unwrap();
    let (client, result) = query.await.unwrap();
    let err = result.expect_err("the join was cancelled");
    assert_eq!(sqlstate(&err), "57014", "{err}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    server.idle_from(asked, Duration::from_secs(1)).await;

    // A client that goes away mid-join frees the cores.
    let query = tokio::spawn(async move { client.simple_query(HEAVY_JOIN).await });
    server.gets_busy().await;
    let gone = Instant::now();
    query.abort();
    connection.abort();
    server.idle_from(gone, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_limit_stops_the_model_after_a_few_batches() {
    let _shared = busy_cpu().await;
    let session = Engine::new(&Config::default()).unwrap().session();
    // 5 photos x 100: 500 rows, 16 model batches of 32 if all ran.
    let sql = "EXPLAIN ANALYZE SELECT classify(content)['label'] \
               FROM read_media('sql-tests/fixtures/images/*.jpg'), generate_series(1, 100) \
               WHERE path NOT LIKE '%corrupt%' LIMIT 3";
    let mut outputs = session.execute_sql(sql).await.unwrap();
    let Some(Output::Rows(stream)) = outputs.pop() else {
        panic!("no plan");
    };
    let batches = datafusion::physical_plan::common::collect(stream)
        .await
        .unwrap();
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    let line = plan
        .lines()
        .find(|l| l.contains("InferenceExec"))
        .unwrap_or_else(|| panic!("no InferenceExec in {plan}"));
    let model_batches: usize = line
        .split("model_batches=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no model_batches in {line}"));
    assert!(
        (1..=6).contains(&model_batches),
        "{model_batches} model batches for LIMIT 3: {line}"
    );
}
