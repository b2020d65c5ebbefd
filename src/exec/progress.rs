//! How far model queries have got, for a progress bar: rows listed by media scans and rows
//! through model passes, counted for the whole process (`mediasql query` runs one query).

use std::sync::atomic::{AtomicU64, Ordering};

static LISTED: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);

/// A scan partition starts over `files` files.
pub fn listed(files: usize) {
    LISTED.fetch_add(files as u64, Ordering::Relaxed);
}

/// A model batch of `rows` rows is done.
pub fn done(rows: usize) {
    DONE.fetch_add(rows as u64, Ordering::Relaxed);
}

/// (rows done by models, rows listed by scans) so far.
pub fn snapshot() -> (u64, u64) {
    (DONE.load(Ordering::Relaxed), LISTED.load(Ordering::Relaxed))
}
