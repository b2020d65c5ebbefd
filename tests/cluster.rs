//! A cluster on loopback: `mediasql scheduler` and two `mediasql executor`s, processes of
//! their own with one thread each. The .slt files that read media give the same results
//! there as in-process (their EXPLAIN records, which show this process's plans, are marked
//! `skipif cluster`), and a query whose executor is killed mid-way still returns every row.

use std::io::Write;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use mediasql::Engine;
use mediasql::config::Config;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

use crate::common::{Service, TestEnv, busy_cpu, fixtures, free_port, temp_dir, wait_for_port};
use crate::slt::{InProcess, SqlError};

/// The .slt files run on the cluster: those reading media through media tables.
const FILES: [&str; 10] = [
    "audio.slt",
    "detect.slt",
    "images.slt",
    "inference.slt",
    "media_listing.slt",
    "on_error.slt",
    "pdf.slt",
    "probe.slt",
    "s3.slt",
    "video.slt",
];

/// A scheduler and executors, killed when dropped.
pub struct Cluster {
    _scheduler: Service,
    executors: Vec<Option<Service>>,
    pub url: String,
    config: PathBuf,
}

/// A port `p` with `p + 1` free too (an executor's task and result ports).
fn free_port_pair() -> u16 {
    loop {
        let port = free_port();
        if port < u16::MAX && StdListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn mediasql(args: &[&str], log: &Path) -> Service {
    let log = std::fs::File::create(log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_mediasql"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start mediasql");
    Service(child)
}

impl Cluster {
    /// Starts a scheduler and `executors` executors reading S3 from `env`.
    pub fn start(env: &TestEnv, executors: usize) -> Self {
        let dir = temp_dir("cluster");
        let config = dir.join("mediasql.toml");
        let mut file = std::fs::File::create(&config).unwrap();
        // One inference cache for the machine's processes, empty at the start.
        writeln!(file, "[cache]\ndir = \"{}\"", dir.join("cache").display()).unwrap();
        writeln!(file, "[s3]").unwrap();
        for (key, value) in env.s3_options() {
            writeln!(file, "\"{key}\" = \"{value}\"").unwrap();
        }
        let config_arg = config.to_string_lossy().to_string();
        let port = free_port();
        let url = format!("df://127.0.0.1:{port}");
        let scheduler = mediasql(
            &[
                "scheduler",
                "--config",
                &config_arg,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--executor-timeout-s",
                "5",
            ],
            &dir.join("scheduler.log"),
        );
        wait_for_port(port, "mediasql scheduler");
        let mut cluster = Self {
            _scheduler: scheduler,
            executors: Vec::new(),
            url,
            config,
        };
        for i in 0..executors {
            let port = free_port_pair();
            let executor = mediasql(
                &[
                    "executor",
                    "--config",
                    &config_arg,
                    "--scheduler",
                    &cluster.url,
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--threads",
                    "1",
                ],
                &dir.join(format!("executor-{i}.log")),
            );
            wait_for_port(port, "mediasql executor");
            wait_for_port(port + 1, "mediasql executor's results");
            cluster.executors.push(Some(executor));
        }
        cluster
    }

    /// An engine whose media queries run on this cluster.
    pub fn engine(&self, env: &TestEnv) -> Engine {
        let mut config = Config::from_file(&self.config).unwrap();
        config.cluster = Some(self.url.clone());
        config.target_partitions = Some(4);
        config.s3 = env.s3_options();
        Engine::new(&config).expect("cluster engine")
    }

    /// SIGKILL to executor `i`.
    pub fn kill_executor(&mut self, i: usize) {
        if let Some(mut executor) = self.executors[i].take() {
            executor.0.kill().unwrap();
            executor.0.wait().unwrap();
        }
    }
}

/// A session of an engine running on the cluster.
struct OnCluster(InProcess);

#[async_trait]
impl AsyncDB for OnCluster {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        self.0.run(sql).await
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "cluster"
    }

    fn error_sql_state(err: &Self::Error) -> Option<String> {
        Some(err.code().to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_slt_files_give_the_same_results_on_a_cluster() {
    let _shared = busy_cpu().await;
    let env = TestEnv::start().await;
    let cluster = Cluster::start(&env, 2);
    let mut failures = Vec::new();
    for name in FILES {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("sql-tests")
            .join(name);
        let engine = cluster.engine(&env);
        let mut runner = Runner::new(move || {
            let session = engine.session();
            async move { Ok(OnCluster(InProcess(session))) }
        });
        runner.with_column_validator(crate::slt::accept_any_types);
        runner.with_validator(crate::slt::rows_validator);
        let result = runner.run_file_async(&file).await;
        crate::slt::report(name, "cluster", result, &mut failures);
    }
    explain_shows_the_stages(&cluster, &env).await;
    assert!(
        failures.is_empty(),
        "{} slt file(s) failed on the cluster:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The plan's text of an EXPLAIN over the cluster.
async fn explained(db: &mut InProcess, sql: &str) -> String {
    match db.run(sql).await {
        Ok(DBOutput::Rows { rows, .. }) => rows.concat().join("\n"),
        Ok(_) => panic!("{sql}: expected rows"),
        Err(e) => panic!("{sql}: {e}"),
    }
}

/// EXPLAIN answers from the scheduler with its stages, InferenceExec in the scan's stage;
/// EXPLAIN ANALYZE with each stage's metrics, the model's among them.
async fn explain_shows_the_stages(cluster: &Cluster, env: &TestEnv) {
    let mut db = InProcess(cluster.engine(env).session());
    let query = "SELECT classify(content)['label'] AS label, count(*) \
                 FROM read_media('sql-tests/fixtures/images/*.jpg') \
                 WHERE path NOT LIKE '%corrupt%' GROUP BY 1";
    let plan = explained(&mut db, &format!("EXPLAIN {query}")).await;
    let stages = plan
        .split("distributed_plan")
        .nth(1)
        .unwrap_or_else(|| panic!("no distributed plan in:\n{plan}"));
    let first = stages.split("Stage[stage_id=2").next().unwrap();
    for part in ["ShuffleWriterExec", "InferenceExec", "MediaScanExec"] {
        assert!(
            first.contains(part),
            "no {part} in the first stage:\n{plan}"
        );
    }
    // Refreshed: the executors run the model (the setting travels with the query).
    db.run("SET mediasql.inference_cache = 'refresh'")
        .await
        .unwrap();
    let analyzed = explained(&mut db, &format!("EXPLAIN ANALYZE {query}")).await;
    assert!(
        analyzed.contains("SuccessfulStage") && analyzed.contains("model_rows=4"),
        "no stages with the model's metrics in:\n{analyzed}"
    );
    // Again with the cache on: the executors' caches answer.
    db.run("SET mediasql.inference_cache = 'on'").await.unwrap();
    let analyzed = explained(&mut db, &format!("EXPLAIN ANALYZE {query}")).await;
    assert!(
        analyzed.contains("cache_hits=4") && analyzed.contains("model_rows=0"),
        "the executors' caches did not answer:\n{analyzed}"
    );
}

/// `n` copies of the coffee photo in a new directory.
fn coffee_photos(n: usize) -> PathBuf {
    let dir = temp_dir("coffee-photos");
    let photo = fixtures().join("images/coffee.jpg");
    for i in 0..n {
        std::fs::copy(&photo, dir.join(format!("coffee-{i:04}.jpg"))).unwrap();
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_survives_an_executor_killed_mid_way() {
    let _shared = busy_cpu().await;
    let env = TestEnv::start().await;
    let mut cluster = Cluster::start(&env, 2);
    let photos = coffee_photos(1500);
    let engine = cluster.engine(&env);
    let sql = format!(
        "SELECT classify(content)['label'] AS label, count(*) AS n \
         FROM read_media('{}') GROUP BY 1",
        photos.display()
    );
    let session = engine.session();
    let query = tokio::spawn(async move {
        let mut db = InProcess(session);
        db.run(&sql).await
    });
    // Both executors are classifying by now (1,500 photos take them several seconds).
    tokio::time::sleep(Duration::from_secs(2)).await;
    if query.is_finished() {
        let early = query.await.unwrap();
        panic!("the query ended before the kill: {:?}", early.err());
    }
    cluster.kill_executor(0);
    let result = tokio::time::timeout(Duration::from_secs(180), query)
        .await
        .expect("the query finished after the kill")
        .unwrap();
    match result {
        Ok(DBOutput::Rows { rows, .. }) => {
            assert_eq!(rows, vec![vec!["espresso".to_string(), "1500".to_string()]]);
        }
        Ok(_) => panic!("expected rows"),
        Err(e) => panic!("expected the full count, got {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_query_frees_the_executors() {
    let _shared = busy_cpu().await;
    let env = TestEnv::start().await;
    let cluster = Cluster::start(&env, 2);
    let photos = coffee_photos(3000);
    let engine = cluster.engine(&env);
    let mut db = InProcess(engine.session());
    db.run("SET statement_timeout = 2000").await.unwrap();
    let heavy = format!(
        "SELECT count(classify(content)) FROM read_media('{}')",
        photos.display()
    );
    let started = std::time::Instant::now();
    let err = db.run(&heavy).await.err().expect("the query timed out");
    assert_eq!(err.code(), "57014", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The job was cancelled on the cluster: its tasks no longer hold the executors' slots,
    // so a small query runs at once (the rest of the heavy one would hold them ~15 s).
    db.run("SET statement_timeout = 0").await.unwrap();
    let small =
        "SELECT classify(content)['label'] FROM read_media('sql-tests/fixtures/images/coffee.jpg')";
    let started = std::time::Instant::now();
    match db.run(small).await {
        Ok(DBOutput::Rows { rows, .. }) => assert_eq!(rows, vec![vec!["espresso".to_string()]]),
        Ok(_) => panic!("expected rows"),
        Err(e) => panic!("the small query failed: {e}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the executors were still busy: {:?}",
        started.elapsed()
    );
}
