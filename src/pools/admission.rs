//! Admission control: at most `limit` plans run at once, the rest wait in the order they came.
//!
//! Every core is already shared by the plans that run; more running plans only split the same
//! cores finer and hold more memory at once. A plan takes its slot when its rows are first
//! read, holds it while it computes and its reader keeps up, and gives it back while its reader
//! takes no batch for a while (a cursor between FETCHes, a slow client): an idle reader never
//! keeps others out (`plans::forward`).
//!
//! Light statements (no table but the catalog's, see `plans::is_light`) never come here.

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// The server's running-plan slots.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    limit: usize,
}

/// A held slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// `limit` plans at once (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// The default: two plans per core, four at least. Two per core lets one plan's IO and
    /// another's compute overlap; more would only cut the cores finer.
    pub fn default_limit() -> usize {
        (2 * super::cores()).max(4)
    }

    /// How many plans may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A slot now, or None when all are taken.
    pub fn try_enter(&self) -> Option<Slot> {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => Some(Slot { _permit: permit }),
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => None,
        }
    }

    /// A slot, waiting in order behind those who asked earlier. Dropping the future leaves
    /// the queue.
    pub async fn enter(&self) -> Result<Slot> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map(|permit| Slot { _permit: permit })
            .map_err(|_| DataFusionError::Internal("the admission queue was closed".into()))
    }

    /// A slot for a new plan: at once if one is free, else after `waiting` has been told how
    /// many plans run, in order behind those who asked earlier.
    pub async fn admit(&self, waiting: impl FnOnce(usize)) -> Result<Slot> {
        if let Some(slot) = self.try_enter() {
            return Ok(slot);
        }
        waiting(self.running());
        self.enter().await
    }

    /// Plans running now.
    pub fn running(&self) -> usize {
        self.limit - self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waits_in_order_and_leaving_the_queue_frees_nothing() {
        let admission = Arc::new(Admission::new(1));
        let first = admission.try_enter().unwrap();
        assert!(admission.try_enter().is_none());
        assert_eq!(admission.running(), 1);

        let (order, mut arrived) = tokio::sync::mpsc::unbounded_channel();
        let mut waiters = Vec::new();
        for i in 0..3 {
            let admission = Arc::clone(&admission);
            let order = order.clone();
            waiters.push(tokio::spawn(async move {
                let slot = admission.enter().await.unwrap();
                order.send(i).unwrap();
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(slot);
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // A waiter that gives up (a cancel while waiting) leaves the queue.
        let gave_up = tokio::time::timeout(Duration::from_millis(10), admission.enter()).await;
        assert!(gave_up.is_err());

        drop(first);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        let order: Vec<_> = (0..3).map(|_| arrived.try_recv().unwrap()).collect();
        assert_eq!(order, [0, 1, 2]);
        assert_eq!(admission.running(), 0);
    }
}
