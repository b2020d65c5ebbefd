//! Vision models in SQL.

pub mod classify;
pub mod detect;
pub mod detect_objects;
pub mod embed_image;
pub mod preprocess;
pub mod run;
