//! Loaded models of one kind, by name. Each model loads once; the map's lock is held only to
//! find a model's slot, never while loading, so a first use racing `DROP MODEL` (which takes
//! the registry's entries lock, then this map's) cannot deadlock, and loading one model does
//! not hold up users of another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use datafusion::common::{DataFusionError, Result};

type Slot<T> = Arc<Mutex<Option<Arc<T>>>>;

pub(crate) struct Loaded<T> {
    slots: Mutex<HashMap<String, Slot<T>>>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Self {
            slots: Mutex::default(),
        }
    }
}

impl<T> std::fmt::Debug for Loaded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").finish_non_exhaustive()
    }
}

fn poisoned() -> DataFusionError {
    DataFusionError::Internal("model registry lock poisoned".into())
}

impl<T> Loaded<T> {
    fn slots(&self) -> Result<MutexGuard<'_, HashMap<String, Slot<T>>>> {
        self.slots.lock().map_err(|_| poisoned())
    }

    /// The model `name`, made by `load` on first use (once, however many callers race).
    pub(crate) fn get_or_load(
        &self,
        name: &str,
        load: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        let slot = Arc::clone(self.slots()?.entry(name.to_string()).or_default());
        let mut slot = slot.lock().map_err(|_| poisoned())?;
        if let Some(model) = slot.as_ref() {
            return Ok(Arc::clone(model));
        }
        let model = Arc::new(load()?);
        *slot = Some(Arc::clone(&model));
        Ok(model)
    }

    /// Forgets `name` (a load in progress finishes into a slot nobody finds again).
    pub(crate) fn remove(&self, name: &str) {
        if let Ok(mut slots) = self.slots() {
            slots.remove(name);
        }
    }

    /// Whether `name` is loaded (false while it is loading).
    pub(crate) fn contains(&self, name: &str) -> bool {
        let Some(slot) = self.slots().ok().and_then(|s| s.get(name).cloned()) else {
            return false;
        };
        match slot.try_lock() {
            Ok(model) => model.is_some(),
            Err(TryLockError::WouldBlock | TryLockError::Poisoned(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_once_and_forgets() {
        let loaded: Loaded<u32> = Loaded::default();
        assert_eq!(*loaded.get_or_load("a", || Ok(1)).unwrap(), 1);
        assert_eq!(*loaded.get_or_load("a", || Ok(2)).unwrap(), 1);
        assert!(loaded.contains("a"));
        loaded.remove("a");
        assert!(!loaded.contains("a"));
        assert!(
            loaded
                .get_or_load("b", || datafusion::common::exec_err!("no"))
                .is_err()
        );
        assert_eq!(*loaded.get_or_load("b", || Ok(3)).unwrap(), 3);
    }
}
