//! Text functions: embeddings and chunking.

pub mod chunk_text;
pub mod embed_text;
