//! How far a session's model query has got: rows listed by media scans and rows through
//! model passes. `mediasql query` draws it as a bar; the server sends it as NOTICEs.
//!
//! It also carries notices a statement has for its client before any row ("waiting to run:
//! ...", from admission control), which the server sends as NOTICEs at once.
//!
//! Each session holds one [`Progress`] in its DataFusion config (an extension), reset when a
//! statement starts; scans and [`InferenceExec`](super::inference::InferenceExec) find it in
//! their task context.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::execution::TaskContext;
use tokio::sync::Notify;

/// Counters of one session's running statement.
#[derive(Debug, Default)]
pub struct Progress {
    listed: AtomicU64,
    done: AtomicU64,
    notices: Mutex<VecDeque<String>>,
    noticed: Notify,
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
        if let Ok(mut notices) = self.notices.lock() {
            notices.clear();
        }
    }

    /// Tells the client `text` (a NOTICE) as soon as it can be sent.
    pub fn notice(&self, text: String) {
        if let Ok(mut notices) = self.notices.lock() {
            notices.push_back(text);
        }
        self.noticed.notify_one();
    }

    /// The next notice, once there is one.
    pub async fn next_notice(&self) -> String {
        loop {
            let next = self.notices.lock().ok().and_then(|mut n| n.pop_front());
            if let Some(text) = next {
                return text;
            }
            self.noticed.notified().await;
        }
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
