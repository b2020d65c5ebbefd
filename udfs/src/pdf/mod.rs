//! PDF functions.

pub mod pdf_page_texts;
pub mod pdf_text;
