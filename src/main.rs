//! The `mediasql` binary: a thin shell over the library's CLI.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
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
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
