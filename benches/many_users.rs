//! Many users at once: CLIENTS connections each run QUERIES small queries (a catalog query,
//! a small scan, `SELECT 1`, in turn) and one model query (`classify` of one image), while
//! one more connection runs a heavy cross join throughout. Prints the small queries'
//! latencies (p50, p99, max), the model queries', and the errors, which should be none.
//!
//!   cargo bench --profile dev --bench many_users
//!   CLIENTS=64 QUERIES=1000 DEADLINE_S=600 MEDIASQL_BIN=path/to/mediasql ...
//!
//! MEDIASQL_BIN runs another build (an older revision, for a before-and-after). Clients stop
//! at DEADLINE_S: queries unanswered then, and those not run, are reported. The latencies
//! are those of the queries answered.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

const HEAVY: &str = "SELECT count(*) FROM generate_series(1, 1000000) a \
     CROSS JOIN generate_series(1, 1000000) b WHERE random() < 2";

const SMALL: [&str; 3] = [
    "SELECT c.relname FROM pg_catalog.pg_class c \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    "SELECT path, width, height FROM images WHERE path LIKE '%coffee%'",
    "SELECT 1",
];

const MODEL: &str = "SELECT classify(content)['label'] FROM images WHERE path LIKE '%coffee%'";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(port: u16) -> Server {
    let binary =
        std::env::var("MEDIASQL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mediasql").into());
    let child = Command::new(binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--table", "images=sql-tests/fixtures/images"])
        .env("MEDIASQL_PASSWORD", "bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mediasql serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

async fn connect(port: u16) -> Client {
    let config = format!("host=127.0.0.1 port={port} user=mediasql password=bench");
    let (client, connection) = tokio_postgres::connect(&config, NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

#[derive(Default)]
struct Tally {
    small: Vec<Duration>,
    /// The small queries' latencies by kind (as in SMALL).
    by_kind: [Vec<Duration>; 3],
    model: Vec<Duration>,
    errors: Vec<String>,
    not_run: u64,
    /// Queries (or logins) still unanswered at the deadline.
    timed_out: u64,
}

async fn client(port: u16, id: u64, queries: u64, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let Ok(client) = tokio::time::timeout_at(deadline.into(), connect(port)).await else {
        // Not even logged in by the deadline.
        tally.timed_out = 1;
        tally.not_run = queries;
        return tally;
    };
    let model_at = id * 7919 % queries.max(1);
    for i in 0..queries {
        if Instant::now() > deadline {
            tally.not_run = queries - i;
            break;
        }
        if i == model_at {
            let asked = Instant::now();
            match tokio::time::timeout_at(deadline.into(), client.simple_query(MODEL)).await {
                Ok(Ok(_)) => tally.model.push(asked.elapsed()),
                Ok(Err(e)) => tally.errors.push(format!("{MODEL}: {e}")),
                Err(_) => {
                    tally.timed_out += 1;
                    tally.not_run = queries - i;
                    break;
                }
            }
        }
        let kind = (i % SMALL.len() as u64) as usize;
        let sql = SMALL[kind];
        let asked = Instant::now();
        match tokio::time::timeout_at(deadline.into(), client.simple_query(sql)).await {
            Ok(Ok(_)) => {
                tally.small.push(asked.elapsed());
                tally.by_kind[kind].push(asked.elapsed());
            }
            Ok(Err(e)) => tally.errors.push(format!("{sql}: {e}")),
            Err(_) => {
                tally.timed_out += 1;
                tally.not_run = queries - i - 1;
                break;
            }
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let clients = env_or("CLIENTS", 64);
    let queries = env_or("QUERIES", 1000);
    let deadline_s = env_or("DEADLINE_S", 600);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let _server = start(port);

    let heavy = connect(port).await;
    let heavy_query = tokio::spawn(async move { heavy.simple_query(HEAVY).await.map(|_| ()) });
    tokio::time::sleep(Duration::from_secs(1)).await;

    let started = Instant::now();
    let deadline = started + Duration::from_secs(deadline_s);
    let runs: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(port, id, queries, deadline)))
        .collect();
    let mut all = Tally::default();
    for run in runs {
        let tally = run.await.expect("a client task");
        all.small.extend(tally.small);
        for (all, one) in all.by_kind.iter_mut().zip(tally.by_kind) {
            all.extend(one);
        }
        all.model.extend(tally.model);
        all.errors.extend(tally.errors);
        all.not_run += tally.not_run;
        all.timed_out += tally.timed_out;
    }
    let took = started.elapsed();
    let heavy_still_running = !heavy_query.is_finished();
    heavy_query.abort();

    all.small.sort();
    all.model.sort();
    println!(
        "many_users: {clients} clients x {queries} small queries + 1 model query each, \
         a heavy cross join throughout (still running at the end: {heavy_still_running})"
    );
    println!(
        "  small queries: {} in {:.1} s ({:.0}/s); p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.small.len(),
        took.as_secs_f64(),
        all.small.len() as f64 / took.as_secs_f64(),
        percentile(&all.small, 0.5).as_secs_f64() * 1e3,
        percentile(&all.small, 0.99).as_secs_f64() * 1e3,
        all.small.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    for (name, latencies) in ["catalog", "small scan", "SELECT 1"]
        .iter()
        .zip(&mut all.by_kind)
    {
        latencies.sort();
        println!(
            "    {name}: p50 {:.1} ms, p99 {:.1} ms",
            percentile(latencies, 0.5).as_secs_f64() * 1e3,
            percentile(latencies, 0.99).as_secs_f64() * 1e3,
        );
    }
    println!(
        "  model queries: {}; p50 {:.0} ms, p99 {:.0} ms",
        all.model.len(),
        percentile(&all.model, 0.5).as_secs_f64() * 1e3,
        percentile(&all.model, 0.99).as_secs_f64() * 1e3,
    );
    println!(
        "  errors: {}; unanswered at the {deadline_s} s deadline: {}, not run: {}",
        all.errors.len(),
        all.timed_out,
        all.not_run
    );
    for error in all.errors.iter().take(5) {
        println!("    {error}");
    }
}
