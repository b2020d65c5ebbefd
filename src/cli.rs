//! The command line: `serve`, `query`, `demo`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::{DataFusionError, Result};
use futures::TryStreamExt;
use tokio::net::TcpListener;

use crate::config::{AuthMethod, Config, TableDef, parse_bytes};
use crate::engine::Engine;
use crate::exec::progress_bar::ProgressBar;
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
        /// Serve the web console too, on this loopback address (e.g. 127.0.0.1:8080); it
        /// has no login, so it needs `auth = "trust"`.
        #[arg(long)]
        console: Option<String>,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Run SQL, print the result as a table; exits non-zero on error.
    Query {
        #[command(flatten)]
        engine: EngineArgs,
        /// One or more `;`-separated statements.
        sql: String,
    },
    /// Run a cluster scheduler (Apache Ballista): it plans the queries of `serve --cluster`
    /// and hands their tasks to executors.
    Scheduler {
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        args: crate::cluster::scheduler::SchedulerArgs,
    },
    /// Run a cluster executor: it runs the tasks a scheduler hands it.
    Executor {
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        args: crate::cluster::executor::ExecutorArgs,
    },
    /// Serve the bundled demo media as tables `images`, `audio`, `pdfs`, `videos` and `media`.
    Demo {
        #[arg(long, default_value = crate::config::DEFAULT_LISTEN)]
        listen: String,
        /// The web console's address ("off": none; off too with --password).
        #[arg(long, default_value = DEFAULT_CONSOLE)]
        console: String,
        /// Run queries over the demo's tables on this cluster scheduler.
        #[arg(long, value_name = "df://HOST:PORT")]
        cluster: Option<String>,
        /// Where the inference cache keeps model results (default
        /// ~/.cache/mediasql/inference); `none` keeps none.
        #[arg(long, env = "MEDIASQL_CACHE_DIR", value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        #[command(flatten)]
        access: AccessArgs,
    },
}

/// Who may connect and what they may read.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Require this password (SCRAM-SHA-256) for user --user.
    #[arg(long, env = "MEDIASQL_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// The user --password is for.
    #[arg(long, default_value = "mediasql")]
    user: String,
    /// A directory or URL prefix clients may read media from (repeatable; default: the
    /// tables' locations).
    #[arg(long = "media-root", value_name = "DIR_OR_URL")]
    media_roots: Vec<String>,
}

impl AccessArgs {
    /// Applies the flags over `config`; without any media root, the tables' locations.
    fn apply(&self, config: &mut Config) {
        if let Some(password) = &self.password {
            config
                .security
                .users
                .insert(self.user.clone(), password.clone());
            config.security.auth = AuthMethod::Scram;
        }
        if !self.media_roots.is_empty() {
            config
                .media_roots
                .get_or_insert_with(Vec::new)
                .extend(self.media_roots.iter().cloned());
        }
        if config.media_roots.is_none() {
            let bases = config.tables.iter().map(|t| location_base(&t.location));
            config.media_roots = Some(bases.collect());
        }
    }
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// A mediasql.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A media table, NAME=LOCATION (repeatable).
    #[arg(long = "table", value_name = "NAME=LOCATION")]
    tables: Vec<String>,
    /// Memory all queries together may use, e.g. 4GiB (default: half the machine's).
    #[arg(long)]
    memory_limit: Option<String>,
    /// Memory one statement may use (default: half of --memory-limit).
    #[arg(long)]
    query_memory_limit: Option<String>,
    /// Queries reading tables that run at once; the others wait in order (default: 2 per
    /// core, 4 at least). Catalog queries and `SELECT 1` never wait.
    #[arg(long)]
    max_running_queries: Option<usize>,
    /// Where models run: cpu (default), or cuda in builds with the `cuda` feature.
    #[arg(long)]
    device: Option<String>,
    /// Run queries over media tables on this cluster scheduler (`mediasql scheduler`).
    #[arg(long, value_name = "df://HOST:PORT")]
    cluster: Option<String>,
    /// Where the inference cache keeps model results (default
    /// ~/.cache/mediasql/inference); `none` keeps none.
    #[arg(long, env = "MEDIASQL_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
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
        if let Some(limit) = &self.query_memory_limit {
            config.query_memory_limit = Some(parse_bytes(limit)?);
        }
        if let Some(max) = self.max_running_queries {
            config.max_running_queries = max;
        }
        if let Some(device) = &self.device {
            config.device = mediasql_udfs::models::Device::parse(device)?;
        }
        if let Some(cluster) = &self.cluster {
            config.cluster = Some(cluster.clone());
        }
        set_cache_dir(&mut config, self.cache_dir.as_deref());
        Ok(config)
    }
}

/// `--cache-dir`: a directory, or `none` for no inference cache.
fn set_cache_dir(config: &mut Config, dir: Option<&Path>) {
    match dir {
        Some(dir) if dir.as_os_str() == "none" => config.cache_dir = None,
        Some(dir) => config.cache_dir = Some(dir.to_path_buf()),
        None => {}
    }
}

/// What a cluster process shares with the servers it serves: an engine as theirs is made.
fn server_parts(config: &Config) -> Result<crate::cluster::ServerParts> {
    let mut local = config.clone();
    local.cluster = None;
    local.tables.clear();
    let engine = Engine::new(&local)?;
    let settings = crate::parts::Parts::session_config(config);
    Ok(crate::cluster::ServerParts {
        parts: engine.parts().clone(),
        functions: crate::cluster::without_shadowed_aliases(engine.context().state())?,
        settings: crate::cluster::cluster_config(settings),
    })
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            engine,
            listen,
            console,
            access,
        } => {
            let mut config = engine.config()?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            access.apply(&mut config);
            serve(config, console).await
        }
        Command::Query { engine, sql } => query(&engine.config()?, &sql).await,
        Command::Scheduler { engine, args } => {
            let server = server_parts(&engine.config()?)?;
            crate::cluster::scheduler::run(&args, server).await
        }
        Command::Executor { engine, args } => {
            args.limit_cores();
            let server = server_parts(&engine.config()?)?;
            crate::cluster::executor::run(&args, server).await
        }
        Command::Demo {
            listen,
            console,
            cluster,
            cache_dir,
            access,
        } => {
            let mut config = demo_config()?;
            config.listen = listen;
            config.cluster = cluster;
            set_cache_dir(&mut config, cache_dir.as_deref());
            access.apply(&mut config);
            let console =
                (console != "off" && config.security.auth == AuthMethod::Trust).then_some(console);
            serve(config, console).await
        }
    }
}

/// Where `mediasql demo` serves its web console.
const DEFAULT_CONSOLE: &str = "127.0.0.1:8080";

async fn serve(config: Config, console: Option<String>) -> Result<()> {
    check_users(&config)?;
    let engine = Engine::new(&config)?;
    if let Some(roots) = engine.media_roots() {
        eprintln!("media roots: {}", roots.describe());
    }
    if let Some(addr) = console {
        if config.security.auth != AuthMethod::Trust {
            return Err(DataFusionError::Configuration(
                "the web console has no login: it runs only with auth = \"trust\"".into(),
            ));
        }
        start_console(&addr, engine.clone()).await?;
    }
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|e| DataFusionError::Configuration(format!("listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr()?;
    check_exposure(&config, &addr)?;
    for table in &config.tables {
        eprintln!("table {} = {}", table.name, table.location);
    }
    eprintln!(
        "mediasql listening on {addr}; connect with: psql -h {} -p {}",
        addr.ip(),
        addr.port()
    );
    let options = server::ServerOptions {
        max_connections: config.max_connections,
        security: config.security.clone(),
    };
    server::serve(listener, engine, options, server::shutdown_signal()).await
}

/// A password server needs users.
fn check_users(config: &Config) -> Result<()> {
    if config.security.auth == AuthMethod::Scram && config.security.users.is_empty() {
        return Err(DataFusionError::Configuration(
            "no users: pass --password (or set MEDIASQL_PASSWORD) for user 'mediasql', list \
             [users] in mediasql.toml, or set auth = \"trust\" to let loopback clients in \
             without a password"
                .into(),
        ));
    }
    Ok(())
}

/// A server listening beyond loopback needs passwords: with trust, it would refuse everyone
/// who can reach it (trust admits loopback clients only), which is never what was meant.
fn check_exposure(config: &Config, addr: &std::net::SocketAddr) -> Result<()> {
    if config.security.auth == AuthMethod::Trust && !addr.ip().is_loopback() {
        return Err(DataFusionError::Configuration(format!(
            "listening on {addr} with auth = \"trust\": trust admits loopback clients only, so \
             a server reachable from other machines needs a password (--password or \
             MEDIASQL_PASSWORD for user 'mediasql', or [users] in mediasql.toml)"
        )));
    }
    Ok(())
}

/// The directory (or URL prefix) a table location lies under: its part before any glob.
fn location_base(location: &str) -> String {
    let base = crate::catalog::location::glob_base(location);
    if base.is_empty() { ".".into() } else { base }
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
            Output::Rows(stream) | Output::Fetch(stream) => {
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
            Output::CopyOut(stream, format) => {
                bar.stop();
                copy_to_stdout(stream, &format).await?;
            }
        }
    }
    Ok(())
}

/// Writes a `COPY ... TO STDOUT` in text or CSV as its rows arrive.
async fn copy_to_stdout(
    mut stream: datafusion::execution::SendableRecordBatchStream,
    format: &crate::copy_out::CopyFormat,
) -> Result<()> {
    use crate::copy_out::{CopyKind, header_line, text_lines};
    use std::io::Write;
    if format.kind == CopyKind::Binary {
        return Err(DataFusionError::NotImplemented(
            "binary COPY TO STDOUT needs a Postgres client (psql, a driver)".into(),
        ));
    }
    let mut out = std::io::stdout().lock();
    if format.header {
        out.write_all(&header_line(&stream.schema(), format))?;
    }
    while let Some(batch) = stream.try_next().await? {
        for line in text_lines(&batch, format)? {
            out.write_all(&line)?;
        }
    }
    Ok(())
}

/// The demo tables over the bundled demo media: `images`, `audio`, `pdfs`, `videos` and `media` (all).
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
            table("videos", "videos", "video"),
            table("media", "", "any"),
        ],
        media_roots: Some(vec![root.to_string_lossy().into_owned()]),
        security: crate::config::Security::trust(),
        ..Config::default()
    })
}

/// `demo/media` (photos, speech, PDFs, a video; see demo/README.md) from the working directory, else
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trust_server_listens_on_loopback_only() {
        let mut config = Config::default();
        config.security.auth = AuthMethod::Trust;
        let everywhere: std::net::SocketAddr = "0.0.0.0:5433".parse().unwrap();
        let loopback: std::net::SocketAddr = "127.0.0.1:5433".parse().unwrap();
        let err = check_exposure(&config, &everywhere)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a password"), "{err}");
        assert!(check_exposure(&config, &loopback).is_ok());
        config.security.auth = AuthMethod::Scram;
        assert!(check_exposure(&config, &everywhere).is_ok());
    }
}
