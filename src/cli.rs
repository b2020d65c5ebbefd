//! The command line: `serve`, `query`, `demo`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::{DataFusionError, Result};
use futures::TryStreamExt;
use tokio::net::TcpListener;

use crate::config::{Config, TableDef, parse_bytes};
use crate::engine::Engine;
use crate::exec::progress::Progress;
use crate::server;
use crate::session::Output;

#[derive(Debug, Parser)]
#[command(
    name = "mediasql",
    version,
    about = "SQL over images, audio, video and PDFs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Postgres wire protocol.
    Serve {
        #[command(flatten)]
        engine: EngineArgs,
        /// Address to listen on (default 127.0.0.1:5433, or `listen` in the config file).
        #[arg(long)]
        listen: Option<String>,
        /// Serve the web console too, on this loopback address (e.g. 127.0.0.1:8080).
        #[arg(long)]
        console: Option<String>,
    },
    /// Run SQL, print the result as a table; exits non-zero on error.
    Query {
        #[command(flatten)]
        engine: EngineArgs,
        /// One or more `;`-separated statements.
        sql: String,
    },
    /// Serve the bundled demo media as tables `images`, `audio`, `pdfs` and `media`.
    Demo {
        #[arg(long, default_value = crate::config::DEFAULT_LISTEN)]
        listen: String,
        /// The web console's address ("off": none).
        #[arg(long, default_value = DEFAULT_CONSOLE)]
        console: String,
    },
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// A mediasql.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A media table, NAME=LOCATION (repeatable).
    #[arg(long = "table", value_name = "NAME=LOCATION")]
    tables: Vec<String>,
    /// Memory all queries together may use, e.g. 4GiB.
    #[arg(long)]
    memory_limit: Option<String>,
    /// Where models run: cpu (default), or cuda in builds with the `cuda` feature.
    #[arg(long)]
    device: Option<String>,
}

impl EngineArgs {
    fn config(&self) -> Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        for table in &self.tables {
            config.tables.push(TableDef::parse_arg(table)?);
        }
        if let Some(limit) = &self.memory_limit {
            config.memory_limit = parse_bytes(limit)?;
        }
        if let Some(device) = &self.device {
            config.device = mediasql_udfs::models::Device::parse(device)?;
        }
        Ok(config)
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            engine,
            listen,
            console,
        } => {
            let mut config = engine.config()?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            serve(config, console).await
        }
        Command::Query { engine, sql } => query(&engine.config()?, &sql).await,
        Command::Demo { listen, console } => {
            let mut config = demo_config()?;
            config.listen = listen;
            serve(config, (console != "off").then_some(console)).await
        }
    }
}

/// Where `mediasql demo` serves its web console.
const DEFAULT_CONSOLE: &str = "127.0.0.1:8080";

async fn serve(config: Config, console: Option<String>) -> Result<()> {
    let engine = Engine::new(&config)?;
    if let Some(addr) = console {
        start_console(&addr, engine.clone()).await?;
    }
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|e| DataFusionError::Configuration(format!("listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr()?;
    for table in &config.tables {
        eprintln!("table {} = {}", table.name, table.location);
    }
    eprintln!(
        "mediasql listening on {addr}; connect with: psql -h {} -p {}",
        addr.ip(),
        addr.port()
    );
    server::serve(
        listener,
        engine,
        config.max_connections,
        server::shutdown_signal(),
    )
    .await?;
    Ok(())
}

/// Starts the web console on loopback address `addr`, beside the wire server.
async fn start_console(addr: &str, engine: Engine) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| DataFusionError::Configuration(format!("console on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    crate::console::check_loopback(&local)?;
    eprintln!("web console on http://{local}/");
    tokio::spawn(async move {
        if let Err(e) = crate::console::serve(listener, engine).await {
            log::error!("web console: {e}");
        }
    });
    Ok(())
}

async fn query(config: &Config, sql: &str) -> Result<()> {
    let engine = Engine::new(config)?;
    let session = engine.session();
    let mut bar = ProgressBar::start(Arc::clone(session.progress()));
    for output in session.execute_sql(sql).await? {
        match output {
            Output::Rows(stream) => {
                let schema = stream.schema();
                let batches: Vec<_> = stream.try_collect().await?;
                bar.stop();
                let batches = if batches.is_empty() {
                    vec![datafusion::arrow::array::RecordBatch::new_empty(schema)]
                } else {
                    batches
                };
                println!("{}", pretty_format_batches(&batches)?);
            }
            Output::Command(tag) | Output::TransactionStart(tag) | Output::TransactionEnd(tag) => {
                println!("{tag}");
            }
        }
    }
    Ok(())
}

/// A progress bar on a terminal's stderr while model work runs: rows through models out of
/// rows listed, rows/s and the time left. Cleared when dropped.
struct ProgressBar {
    task: Option<tokio::task::JoinHandle<()>>,
    bar: indicatif::ProgressBar,
}

impl ProgressBar {
    fn start(progress: Arc<Progress>) -> Self {
        let bar = indicatif::ProgressBar::hidden();
        if !std::io::stderr().is_terminal() {
            return Self { task: None, bar };
        }
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            // Rows listed by media scans give the total; without one, a count and a rate.
            let with_total = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} rows through models, {per_sec}, {eta} left",
            );
            let without = indicatif::ProgressStyle::with_template(
                "{spinner} {pos} rows through models, {per_sec}",
            );
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                let (done, listed) = progress.snapshot();
                if done == 0 {
                    continue;
                }
                let style = if listed >= done {
                    &with_total
                } else {
                    &without
                };
                if let Ok(style) = style {
                    shown.set_style(style.clone());
                }
                if shown.is_hidden() {
                    shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                }
                shown.set_length(listed.max(done));
                shown.set_position(done);
            }
        });
        Self {
            task: Some(task),
            bar,
        }
    }
}

impl ProgressBar {
    /// Stops drawing and clears the bar (before results are printed).
    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.bar.finish_and_clear();
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The demo tables over the bundled demo media: `images`, `audio`, `pdfs` and `media` (all).
pub fn demo_config() -> Result<Config> {
    let root = demo_dir()?;
    let table = |name: &str, folder: &str, kind: &str| TableDef {
        name: name.to_string(),
        location: root.join(folder).to_string_lossy().into_owned(),
        options: [("kind".to_string(), kind.to_string())].into(),
    };
    Ok(Config {
        tables: vec![
            table("images", "images", "image"),
            table("audio", "audio", "audio"),
            table("pdfs", "pdfs", "pdf"),
            table("media", "", "any"),
        ],
        ..Config::default()
    })
}

/// `demo/media` (photos, speech, PDFs; see demo/README.md) from the working directory, else
/// from the source tree it was built in.
fn demo_dir() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from("demo/media"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/media"),
    ];
    candidates.into_iter().find(|p| p.is_dir()).ok_or_else(|| {
        DataFusionError::Configuration(
            "demo media not found: run from the mediasql checkout (demo/media)".into(),
        )
    })
}
