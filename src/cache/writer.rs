//! The cache's writer: one thread per store (at nice 19: it takes only the cycles the model
//! leaves) that commits, in one transaction, what queued over up to a second, or sooner
//! when a query waits for its writes ([`Writer::flush`], at its end) or many results queue.
//! Queries never wait for a commit otherwise, and few commits cost little next to the model.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use super::store::WriteBatch;

/// What the writer commits to (the cache, held weakly: the writer ends with it).
pub(super) trait Commit: Send + Sync {
    fn commit(&self, batch: &WriteBatch);
}

enum Job {
    Write(WriteBatch),
    /// Answered once everything queued before it is committed.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Rows of results above which a commit is made without waiting longer.
const MAX_PUTS_PER_COMMIT: usize = 4096;
/// How long queued results wait for others to share their commit.
const COMMIT_INTERVAL: Duration = Duration::from_secs(1);

pub(super) struct Writer {
    cache: Weak<dyn Commit>,
    /// Started on first use.
    tx: Mutex<Option<Sender<Job>>>,
}

impl Writer {
    pub(super) fn new(cache: Weak<dyn Commit>) -> Self {
        Self {
            cache,
            tx: Mutex::new(None),
        }
    }

    fn send_job(&self, job: Job) -> Result<(), Job> {
        let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        if tx.is_none() {
            let (sender, receiver) = channel();
            let cache = self.cache.clone();
            let spawned = std::thread::Builder::new()
                .name("mediasql-cache-writer".into())
                .spawn(move || {
                    crate::pools::lower_to_idle("mediasql-cache-writer");
                    run(cache, receiver)
                });
            if let Err(e) = spawned {
                log::warn!("inference cache: no writer thread ({e}); results are not kept");
                return Err(job);
            }
            *tx = Some(sender);
        }
        match tx.as_ref().map(|t| t.send(job)) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => {
                *tx = None;
                Err(e.0)
            }
            None => Ok(()),
        }
    }

    pub(super) fn send(&self, batch: WriteBatch) {
        if self.send_job(Job::Write(batch)).is_err() {
            log::warn!("inference cache: the writer has stopped; results are not kept");
        }
    }

    pub(super) async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.send_job(Job::Flush(done)).is_ok() {
            // An error: the writer stopped, nothing more will be written.
            let _ = wait.await;
        }
    }
}

fn run(cache: Weak<dyn Commit>, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let deadline = Instant::now() + COMMIT_INTERVAL;
        let mut batch = WriteBatch::default();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(b) => batch.append(b),
                Job::Flush(done) => flushes.push(done),
            }
            if !flushes.is_empty() || batch.puts.len() >= MAX_PUTS_PER_COMMIT {
                // Whatever is already queued goes in too; then commit.
                next = jobs.try_recv().ok();
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            // Timed out or disconnected: commit what there is.
            next = jobs.recv_timeout(left).ok();
        }
        if !batch.is_empty() {
            let Some(cache) = cache.upgrade() else {
                return;
            };
            cache.commit(&batch);
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}
