//! Vision models in SQL.

pub mod classify;
pub mod preprocess;
