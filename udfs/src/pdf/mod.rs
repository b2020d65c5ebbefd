//! PDF functions.

pub mod pdf_text;
