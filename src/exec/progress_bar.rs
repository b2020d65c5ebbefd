//! `mediasql query`'s progress bar: the rows a session's models have done (see
//! [`super::progress`]), drawn on a terminal's stderr.

use std::io::IsTerminal;
use std::sync::Arc;

use super::progress::Progress;

/// A progress bar on a terminal's stderr while model work runs: rows through models out of
/// rows listed, rows/s and the time left. Cleared when dropped.
pub struct ProgressBar {
    task: Option<tokio::task::JoinHandle<()>>,
    bar: indicatif::ProgressBar,
}

impl ProgressBar {
    pub fn start(progress: Arc<Progress>) -> Self {
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
    pub fn stop(&mut self) {
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
