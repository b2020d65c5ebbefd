//! The batches one [`InferenceExec`](super::inference::InferenceExec) holds between being
//! submitted to its prepare stage and leaving its model, counted over all its partitions.
//!
//! The model runs one batch at a time whichever partition it comes from, so a batch queued
//! behind another partition's run is as good as one prepared ahead, and each holds its model
//! input (16 image tensors are 9.6 MB, 8 YOLOX frames 16.6 MB). A count shared by the
//! partitions keeps `max_batches_in_flight` batches preparing, prepared or on the model in
//! all, and lets the last partition still running use every one. A partition holding none
//! may always take one, so no partition waits on another's progress.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The operator's count of batches held, and its limit.
#[derive(Debug, Clone)]
pub(super) struct Budget {
    held: Arc<AtomicUsize>,
    max: usize,
}

/// One batch's place in the budget, given back when dropped.
#[derive(Debug)]
pub(super) struct Slot {
    held: Arc<AtomicUsize>,
}

impl Budget {
    /// A budget of `max` batches.
    pub(super) fn new(max: usize) -> Self {
        Self {
            held: Arc::default(),
            max,
        }
    }

    /// A slot if fewer than the limit are held, or whatever is held if `first` (the asking
    /// partition holds none).
    pub(super) fn take(&self, first: bool) -> Option<Slot> {
        let max = self.max;
        if first {
            self.held.fetch_add(1, Ordering::AcqRel);
        } else {
            self.held
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < max).then_some(n + 1)
                })
                .ok()?;
        }
        Some(Slot {
            held: Arc::clone(&self.held),
        })
    }

    /// Batches held now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_holding_none_always_gets_one_and_the_rest_share_the_limit() {
        let budget = Budget::new(2);
        let a = budget.take(true).unwrap();
        let b = budget.take(true).unwrap();
        assert!(budget.take(false).is_none(), "two held of two");
        let c = budget.take(true).unwrap();
        assert_eq!(budget.held(), 3);
        drop((a, b));
        assert_eq!(budget.held(), 1);
        let d = budget.take(false).unwrap();
        assert!(budget.take(false).is_none());
        drop((c, d));
        assert_eq!(budget.held(), 0);
    }
}
