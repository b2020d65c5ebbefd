//! Threads beside the server's tokio runtime (InfluxDB 3's DedicatedExecutor pattern): that
//! runtime keeps the wire, the accept loop and cancel requests; plans and CPU-heavy media work
//! run here, so the server answers `SELECT 1` while every core runs a join or a model.
//!
//! - [`plans`]: the runtime every plan that reads tables runs on (nice 19), bridged to the
//!   caller by a channel of one batch; light plans (catalog queries, `SELECT 1`) stay on the
//!   server's runtime;
//! - [`admission`]: how many of those plans run at once, the rest waiting in order;
//! - [`cpu`]: the prepare stage of model passes (decode, resize, tokenize, resample) and
//!   video decoding, one thread per core at nice 19 ([`Priority::Idle`]): they take only the
//!   cycles the model and the server leave, so together with the model's threads they never
//!   take more than the cores;
//! - [`inference`]: model runs, one at a time. A model call itself uses every core (ONNX
//!   Runtime intra-op threads that do not spin when idle, whisper threads shared among its
//!   states), so two at once would only take cores from each other; runs of every query and
//!   partition queue here in turn, and the time a run is timed is the model's own.
//!
//! A job whose result nobody awaits any more (its query was cancelled, reached its LIMIT or
//! lost its client) is skipped when its turn comes; a job already running is told through
//! its [`Stop`] (whisper stops between its steps; an ONNX call finishes its batch).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};

use datafusion::common::{DataFusionError, Result};
use futures::FutureExt;
use mediasql_udfs::models::Stop;
use tokio::sync::oneshot;

pub mod admission;
pub mod plans;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of named threads taking jobs in order.
pub struct Pool {
    name: &'static str,
    jobs: Mutex<Sender<Job>>,
    threads: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.name)
            .field("threads", &self.threads)
            .finish()
    }
}

impl Pool {
    /// Starts `threads` threads named after `name`. Threads that fail to start are logged;
    /// at least one must start for jobs to run, else every job fails with an error.
    pub fn new(name: &'static str, threads: usize, priority: Priority) -> Self {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for i in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    priority.apply(name);
                    work(&receiver);
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => log::error!("starting {name} thread {i}: {e}"),
            }
        }
        Self {
            name,
            jobs: Mutex::new(sender),
            threads: started,
        }
    }

    /// Threads running jobs.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job` on the pool; the future gives its result. Dropping the future before the
    /// job starts skips the job; dropping it while the job runs sets the job's [`Stop`].
    pub fn run<T, F>(&self, job: F) -> PoolFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Stop) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let stop = Stop::default();
        let job_stop = stop.clone();
        let name = self.name;
        let job: Job = Box::new(move || {
            if job_stop.is_stopped() || tx.is_closed() {
                return;
            }
            let result = catch_unwind(AssertUnwindSafe(|| job(&job_stop))).unwrap_or_else(|_| {
                Err(DataFusionError::Internal(format!("a {name} job panicked")))
            });
            let _ = tx.send(result);
        });
        let sent = self
            .jobs
            .lock()
            .map_err(|_| ())
            .and_then(|jobs| jobs.send(job).map_err(|_| ()));
        PoolFuture {
            name,
            result: sent.ok().map(|()| rx),
            stop,
        }
    }
}

/// The result of a pool job; dropping it stops the job (see [`Pool::run`]).
pub struct PoolFuture<T> {
    name: &'static str,
    /// None when the job could not be queued.
    result: Option<oneshot::Receiver<Result<T>>>,
    stop: Stop,
}

impl<T> Future for PoolFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let name = self.name;
        let Some(result) = self.result.as_mut() else {
            return Poll::Ready(Err(DataFusionError::Internal(format!(
                "the {name} pool is gone"
            ))));
        };
        result.poll_unpin(cx).map(|r| {
            r.unwrap_or_else(|_| {
                Err(DataFusionError::Internal(format!(
                    "the {name} pool dropped a job"
                )))
            })
        })
    }
}

impl<T> Drop for PoolFuture<T> {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// The scheduling class of a pool's threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// The default: threads share the cores fairly with every other thread.
    Normal,
    /// Nice 19: the threads run on cores no normal thread wants. The
    /// prepare stage overlaps the model; at normal priority its decoding preempts one of
    /// the model's intra-op threads, and the other waits for it at the next barrier (on 2
    /// cores that cost 8% of classify's throughput). At idle priority decoding fills the
    /// model's gaps and never slows it; with no model running it gets every idle core.
    Idle,
}

impl Priority {
    fn apply(self, name: &str) {
        if self == Priority::Idle {
            lower_to_idle(name);
        }
    }
}

/// Nice 19 for the calling thread (Linux keeps a nice value per thread, named by its id).
#[cfg(target_os = "linux")]
pub fn lower_to_idle(name: &str) {
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), 19) {
        log::warn!("{name}: could not lower the thread's priority: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn lower_to_idle(_name: &str) {}

fn cores() -> usize {
    mediasql_udfs::cores()
}

static CPU: LazyLock<Pool> = LazyLock::new(|| Pool::new("mediasql-cpu", cores(), Priority::Idle));
static INFERENCE: LazyLock<Pool> =
    LazyLock::new(|| Pool::new("mediasql-inference", 1, Priority::Normal));

/// The pool for CPU work ahead of models.
pub fn cpu() -> &'static Pool {
    &CPU
}

/// The pool running models.
pub fn inference() -> &'static Pool {
    &INFERENCE
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::exec_err;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn runs_jobs_and_skips_abandoned_ones() {
        let pool = Pool::new("test", 1, Priority::Idle);
        assert_eq!(pool.run(|_| Ok(2 + 2)).await.unwrap(), 4);
        let err = pool.run(|_| -> Result<()> { exec_err!("bad row") }).await;
        assert!(err.unwrap_err().to_string().contains("bad row"));

        // Block the only thread, queue a job, abandon it: it never runs.
        let ran = Arc::new(AtomicUsize::new(0));
        let blocker = pool.run(|_| {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        });
        let counted = Arc::clone(&ran);
        let abandoned = pool.run(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        drop(abandoned);
        blocker.await.unwrap();
        pool.run(|_| Ok(())).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);

        // A running job sees its stop once its future is dropped.
        let running = pool.run(|stop| {
            let start = std::time::Instant::now();
            while !stop.is_stopped() && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(stop.is_stopped())
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(running);
        let start = std::time::Instant::now();
        pool.run(|_| Ok(())).await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}
