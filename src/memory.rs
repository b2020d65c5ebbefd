//! Memory: one pool for the whole server, and each session's share of it.
//!
//! The server's pool ([`server_pool`]) bounds what all queries together hold: a
//! `FairSpillPool`, so operators that can spill share it fairly. Each session draws from it
//! through a [`SessionPool`] that bounds what the session's statement holds (a session runs
//! one statement at a time): one query can neither take the whole server's memory nor, with
//! `SET datafusion.runtime.memory_limit`, step outside it (DataFusion's own handling of that
//! setting would give the session a fresh pool of its own, beside the server's).
//!
//! Operators reserve before they hold; a reservation past either limit fails with
//! SQLSTATE 53200 and the statement ends, the session and the server go on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::common::{Result, resources_datafusion_err};
use datafusion::execution::SessionState;
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

/// The default for all queries together: half the machine's memory (or of the cgroup's
/// limit, in a container), the other half left to models, decoded media and the system.
pub fn default_server_limit() -> usize {
    let machine = machine_memory().unwrap_or(8 << 30);
    machine / 2
}

/// The default for one statement: half the server's limit, so that one query leaves room
/// for the others.
pub fn default_query_limit(server_limit: usize) -> usize {
    server_limit / 2
}

/// The server's pool of `limit` bytes.
pub fn server_pool(limit: usize) -> Arc<dyn MemoryPool> {
    Arc::new(FairSpillPool::new(limit))
}

/// The server's pool and each new session's default share of it.
#[derive(Debug, Clone)]
pub struct ServerMemory {
    pub pool: Arc<dyn MemoryPool>,
    query_limit: usize,
}

impl ServerMemory {
    /// The pool of `memory_limit` bytes, shares of `query_memory_limit` (None: the
    /// default share of the pool).
    pub fn new(memory_limit: usize, query_memory_limit: Option<usize>) -> Self {
        let query_limit = query_memory_limit.unwrap_or_else(|| default_query_limit(memory_limit));
        Self {
            pool: server_pool(memory_limit),
            query_limit,
        }
    }

    /// What a new session draws its memory through.
    pub fn session(&self) -> SessionMemory {
        SessionMemory {
            server: Arc::clone(&self.pool),
            default_limit: self.query_limit,
        }
    }
}

/// A session's view of the server's memory: the runtime its statements run with.
#[derive(Debug, Clone)]
pub struct SessionMemory {
    server: Arc<dyn MemoryPool>,
    default_limit: usize,
}

impl SessionMemory {
    /// `base` with a session pool of `limit` bytes (None: the server's default share).
    pub fn runtime(&self, base: &RuntimeEnv, limit: Option<usize>) -> Result<Arc<RuntimeEnv>> {
        let limit = limit.unwrap_or(self.default_limit);
        let pool = SessionPool::new(Arc::clone(&self.server), limit);
        RuntimeEnvBuilder::from_runtime_env(base)
            .with_memory_pool(Arc::new(pool))
            .build_arc()
    }
}

/// `state` running with `runtime` (its memory pool).
pub fn with_runtime(state: &SessionState, runtime: Arc<RuntimeEnv>) -> SessionState {
    crate::rebuild::rebuilt(state, |builder| builder.with_runtime_env(runtime))
}

/// Bytes of memory this process may use: the machine's, or its cgroup's limit if lower.
fn machine_memory() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: usize = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let machine = kib * 1024;
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok());
    Some(cgroup.map_or(machine, |c| c.min(machine)))
}

/// One session's share of the server's pool: reservations count against both `limit` and
/// the server's pool (see the module docs).
#[derive(Debug)]
pub struct SessionPool {
    server: Arc<dyn MemoryPool>,
    limit: usize,
    used: AtomicUsize,
}

impl SessionPool {
    /// A share of at most `limit` bytes of `server`.
    pub fn new(server: Arc<dyn MemoryPool>, limit: usize) -> Self {
        Self {
            server,
            limit,
            used: AtomicUsize::new(0),
        }
    }
}

impl std::fmt::Display for SessionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "session pool: {} of {} bytes held, within {}",
            self.reserved(),
            self.limit,
            self.server
        )
    }
}

impl MemoryPool for SessionPool {
    fn name(&self) -> &str {
        "mediasql session"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.server.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.server.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.used.fetch_add(additional, Ordering::Relaxed);
        self.server.grow(reservation, additional);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.used.fetch_sub(shrink, Ordering::Relaxed);
        self.server.shrink(reservation, shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let grown = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(additional)
                    .filter(|&total| total <= self.limit)
            });
        if let Err(used) = grown {
            return Err(resources_datafusion_err!(
                "Failed to allocate additional {additional} bytes for {}: the query holds \
                 {used} of its {} bytes (SET datafusion.runtime.memory_limit to change it)",
                reservation.consumer().name(),
                self.limit
            ));
        }
        self.server
            .try_grow(reservation, additional)
            .inspect_err(|_| {
                self.used.fetch_sub(additional, Ordering::Relaxed);
            })
    }

    fn reserved(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn memory_limit(&self) -> MemoryLimit {
        match self.server.memory_limit() {
            MemoryLimit::Finite(server) => MemoryLimit::Finite(server.min(self.limit)),
            _ => MemoryLimit::Finite(self.limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_holds_at_most_its_share_and_the_server_at_most_its_pool() {
        let server = server_pool(1000);
        let first: Arc<dyn MemoryPool> = Arc::new(SessionPool::new(Arc::clone(&server), 600));
        let second: Arc<dyn MemoryPool> = Arc::new(SessionPool::new(Arc::clone(&server), 600));
        let a = MemoryConsumer::new("a").register(&first);
        let b = MemoryConsumer::new("b").register(&second);
        a.try_grow(500).unwrap();
        let err = a.try_grow(200).unwrap_err().to_string();
        assert!(err.contains("holds 500 of its 600 bytes"), "{err}");
        assert_eq!(first.reserved(), 500);
        // The server has 500 left: the second session gets those, not its whole share.
        b.try_grow(500).unwrap();
        assert!(b.try_grow(50).is_err());
        assert_eq!(second.reserved(), 500);
        assert_eq!(server.reserved(), 1000);
        drop(a);
        assert_eq!(first.reserved(), 0);
        b.try_grow(100).unwrap();
        assert_eq!(server.reserved(), 600);
    }

    /// A server's functions and each session's are ours, whatever order DataFusion's builder
    /// registered them in (the engine's state is rebuilt once for the catalogs, and once per
    /// session for its memory pool).
    #[test]
    fn sessions_plan_with_our_functions() {
        for _ in 0..6 {
            let engine = crate::Engine::new(&crate::config::Config::default()).unwrap();
            let ours = |state: &SessionState| {
                for udf in engine.media_functions() {
                    let now = &state.scalar_functions()[udf.name()];
                    assert!(Arc::ptr_eq(now.inner(), udf.inner()), "{}", udf.name());
                }
            };
            let state = engine.context().state();
            ours(&state);
            for _ in 0..4 {
                let rebuilt = with_runtime(&state, Arc::clone(state.runtime_env()));
                ours(&rebuilt);
                // Every other name too (`length` is ours, and DataFusion's alias).
                for (name, udf) in state.scalar_functions() {
                    let now = rebuilt.scalar_functions().get(name).map(|f| f.name());
                    assert_eq!(now, Some(udf.name()), "{name}");
                }
            }
        }
    }

    #[test]
    fn the_machine_is_read() {
        let limit = default_server_limit();
        assert!(limit > 64 << 20, "{limit}");
    }
}
