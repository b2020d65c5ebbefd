//! The cache's writer: one thread per store that commits, in one transaction, everything
//! queued while its last commit ran. Queries never wait for a commit except at their end
//! ([`Writer::flush`]), so a commit's fsync overlaps the model instead of delaying it.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, Weak};

use super::InferenceCache;
use super::store::WriteBatch;

enum Job {
    Write(WriteBatch),
    /// Answered once everything queued before it is committed.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Rows of results above which a commit is made without draining more of the queue.
const MAX_PUTS_PER_COMMIT: usize = 4096;

pub(super) struct Writer {
    cache: Weak<InferenceCache>,
    /// Started on first use.
    tx: Mutex<Option<Sender<Job>>>,
}

impl Writer {
    pub(super) fn new(cache: Weak<InferenceCache>) -> Self {
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
                .spawn(move || run(cache, receiver));
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

fn run(cache: Weak<InferenceCache>, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = WriteBatch::default();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(b) => batch.append(b),
                Job::Flush(done) => flushes.push(done),
            }
            if batch.puts.len() < MAX_PUTS_PER_COMMIT {
                next = jobs.try_recv().ok();
            }
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
