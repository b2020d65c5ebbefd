//! Vision models in SQL.

pub mod classify;
pub mod embed_image;
pub mod preprocess;
pub mod run;
