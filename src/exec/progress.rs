//! How far a session's model query has got: rows listed by media scans and rows through
//! model passes. `mediasql query` draws it as a bar; the server sends it as NOTICEs.
//!
//! Each session holds one [`Progress`] in its DataFusion config (an extension), reset when a
//! statement starts; scans and [`InferenceExec`](super::inference::InferenceExec) find it in
//! their task context.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::execution::TaskContext;

/// Counters of one session's running statement.
#[derive(Debug, Default)]
pub struct Progress {
    listed: AtomicU64,
    done: AtomicU64,
}

impl Progress {
    /// The progress of the session that runs `context`'s plan, if it keeps one.
    pub fn of(context: &TaskContext) -> Option<Arc<Self>> {
        context.session_config().get_extension::<Self>()
    }

    /// A new statement starts.
    pub fn reset(&self) {
        self.listed.store(0, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    /// A scan partition starts over `files` files.
    pub fn listed(&self, files: usize) {
        self.listed.fetch_add(files as u64, Ordering::Relaxed);
    }

    /// A model batch of `rows` rows is done.
    pub fn done(&self, rows: usize) {
        self.done.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// (rows done by models, rows listed by scans) so far.
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.listed.load(Ordering::Relaxed),
        )
    }
}
