//! Runs every `sql-tests/*.slt` three times: in-process against a [`Session`], and over the
//! Postgres wire against a server started here with the simple query protocol (text results)
//! and with the extended protocol (binary results, [`crate::extended`]). All must give the
//! expected results. `MEDIASQL_SLT_COMPLETE=1` rewrites the files' expected results from the
//! in-process run instead (review the diff before committing it).

use std::path::PathBuf;

use async_trait::async_trait;
use futures::TryStreamExt;
use mediasql::server::{encode, sqlstate};
use mediasql::{Output, Session};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

use crate::common::{TestEnv, TestServer, busy_cpu};

/// An error with its SQLSTATE, as both runners report it.
#[derive(Debug)]
pub struct SqlError {
    code: String,
    message: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for SqlError {}

impl SqlError {
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            code: code.to_string(),
            message: message.to_string(),
        }
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

impl From<datafusion::error::DataFusionError> for SqlError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Self {
            code: sqlstate::sqlstate(&e).to_string(),
            message: sqlstate::message(&e),
        }
    }
}

/// Cells as slt shows them: NULL, `(empty)` for '', and one row per line of multi-line cells.
fn slt_rows(rows: Vec<Vec<Option<String>>>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for row in rows {
        let cells: Vec<Vec<String>> = row
            .into_iter()
            .map(|cell| match cell {
                None => vec!["NULL".to_string()],
                Some(s) if s.is_empty() => vec!["(empty)".to_string()],
                Some(s) => s.lines().map(|l| l.trim_end().to_string()).collect(),
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            out.push(
                cells
                    .iter()
                    .map(|c| c.get(line).cloned().unwrap_or_default())
                    .collect(),
            );
        }
    }
    out
}

pub fn rows_output(rows: Vec<Vec<Option<String>>>, columns: usize) -> DBOutput<DefaultColumnType> {
    DBOutput::Rows {
        types: vec![DefaultColumnType::Any; columns],
        rows: slt_rows(rows),
    }
}

/// The row count at the end of a command tag (`INSERT 0 2` → 2), as a client reads it.
fn tag_count(tag: &str) -> u64 {
    let dml = ["INSERT", "UPDATE", "DELETE", "SELECT", "COPY"];
    if !dml.iter().any(|d| tag.starts_with(d)) {
        return 0;
    }
    tag.rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The engine in this process.
pub struct InProcess(pub Session);

#[async_trait]
impl AsyncDB for InProcess {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let mut last = DBOutput::StatementComplete(0);
        for output in self.0.execute_sql(sql).await? {
            last = match output {
                Output::Rows(stream) | Output::Fetch(stream) | Output::CopyOut(stream, _) => {
                    let columns = stream.schema().fields().len();
                    let batches: Vec<_> = stream.try_collect().await?;
                    let mut rows = Vec::new();
                    for batch in &batches {
                        rows.extend(encode::text_rows(batch)?);
                    }
                    rows_output(rows, columns)
                }
                Output::Command(tag) => DBOutput::StatementComplete(tag_count(&tag)),
                _ => DBOutput::StatementComplete(0),
            };
        }
        Ok(last)
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "in-process"
    }

    fn error_sql_state(err: &Self::Error) -> Option<String> {
        Some(err.code.clone())
    }
}

/// A tokio-postgres connection to a mediasql server.
pub struct Wire(tokio_postgres::Client);

#[async_trait]
impl AsyncDB for Wire {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        simple_run(&self.0, sql).await
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "wire"
    }

    fn error_sql_state(err: &Self::Error) -> Option<String> {
        Some(err.code.clone())
    }
}

/// Runs `sql` with the simple query protocol; the results of its last statement.
pub async fn simple_run(
    client: &tokio_postgres::Client,
    sql: &str,
) -> Result<DBOutput<DefaultColumnType>, SqlError> {
    {
        use tokio_postgres::SimpleQueryMessage;
        let messages = client
            .simple_query(sql)
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => SqlError {
                    code: db.code().code().to_string(),
                    message: db.message().to_string(),
                },
                None => SqlError {
                    code: "08000".into(),
                    message: e.to_string(),
                },
            })?;
        // Results of the last statement only, as the in-process runner does.
        let mut rows = Vec::new();
        let mut columns = None;
        let mut last = DBOutput::StatementComplete(0);
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(desc) => columns = Some(desc.len()),
                SimpleQueryMessage::Row(row) => {
                    columns = Some(row.len());
                    rows.push(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_string))
                            .collect(),
                    );
                }
                SimpleQueryMessage::CommandComplete(count) => {
                    last = match columns.take() {
                        Some(n) => rows_output(std::mem::take(&mut rows), n),
                        None => DBOutput::StatementComplete(count),
                    };
                }
                _ => {}
            }
        }
        Ok(last)
    }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sql-tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sql-tests dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        // MEDIASQL_SLT=name runs only the files whose name contains it.
        .filter(|p| {
            std::env::var("MEDIASQL_SLT")
                .map_or(true, |only| p.to_string_lossy().contains(only.as_str()))
        })
        .collect();
    files.sort();
    files
}

/// Compares whole rows with whitespace collapsed, so that the indented continuation lines of
/// multi-line cells (EXPLAIN plans) compare as written.
pub fn rows_validator(
    normalizer: sqllogictest::Normalizer,
    actual: &[Vec<String>],
    expected: &[String],
) -> bool {
    let actual: Vec<String> = actual
        .iter()
        .map(|row| normalizer(&row.join(" ")))
        .collect();
    let expected: Vec<String> = expected.iter().map(normalizer).collect();
    actual == expected
}

pub fn accept_any_types(_: &Vec<DefaultColumnType>, _: &Vec<DefaultColumnType>) -> bool {
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_logic_tests() {
    let _shared = busy_cpu().await;
    let env = TestEnv::start().await;
    let complete = std::env::var_os("MEDIASQL_SLT_COMPLETE").is_some();
    let mut failures = Vec::new();
    let files = slt_files();
    assert!(!files.is_empty(), "no .slt files found");
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();

        let engine = env.engine().await;
        let mut runner = Runner::new(move || {
            let session = engine.session();
            async move { Ok(InProcess(session)) }
        });
        runner.with_column_validator(accept_any_types);
        runner.with_validator(rows_validator);
        if complete {
            runner
                .update_test_file(
                    file,
                    " ",
                    rows_validator,
                    sqllogictest::default_normalizer,
                    accept_any_types,
                )
                .await
                .unwrap_or_else(|e| panic!("completing {name}: {e}"));
            continue;
        }
        let result = runner.run_file_async(file).await;
        report(&name, "in-process", result, &mut failures);

        let server = TestServer::start(env.engine().await).await;
        let addr = server.addr;
        let mut runner =
            Runner::new(move || async move { Ok(Wire(TestServer::client_at(addr).await)) });
        runner.with_column_validator(accept_any_types);
        runner.with_validator(rows_validator);
        let result = runner.run_file_async(file).await;
        report(&name, "wire", result, &mut failures);
        drop(server);

        // A server of its own: the files create tables and models.
        let server = TestServer::start(env.engine().await).await;
        let addr = server.addr;
        let mut runner = Runner::new(move || async move {
            Ok(crate::extended::Extended(TestServer::client_at(addr).await))
        });
        runner.with_column_validator(accept_any_types);
        runner.with_validator(rows_validator);
        let result = runner.run_file_async(file).await;
        report(&name, "wire-extended", result, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} slt run(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub fn report(
    name: &str,
    mode: &str,
    result: Result<(), sqllogictest::TestError>,
    failures: &mut Vec<String>,
) {
    match result {
        Ok(()) => println!("slt {name} [{mode}] ok"),
        Err(e) => {
            println!("slt {name} [{mode}] FAILED\n{}", e.display(true));
            failures.push(format!("{name} [{mode}]: {}", e.display(false)));
        }
    }
}
