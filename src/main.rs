//! The `mediasql` binary: a thin shell over the library's CLI.

use std::process::ExitCode;

use clap::Parser;
use mediasql::server::sqlstate::{message, sqlstate};

fn main() -> ExitCode {
    // symphonia logs every damaged file it probes; those reach the user as row errors.
    let default = "warn,symphonia_core=off,symphonia_bundle_mp3=off,symphonia_format_riff=off";
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default)).init();
    let cli = mediasql::cli::Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            let result = runtime.block_on(mediasql::cli::run(cli));
            // Do not wait on work still running (a model batch): the server has already
            // given its connections their grace period.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            Ok(result?)
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A statement's error as psql shows it: PostgreSQL's wording and the SQLSTATE.
            match e.downcast_ref::<datafusion::common::DataFusionError>() {
                Some(e) => eprintln!("ERROR:  {} (SQLSTATE {})", message(e), sqlstate(e)),
                None => eprintln!("error: {e}"),
            }
            ExitCode::FAILURE
        }
    }
}
