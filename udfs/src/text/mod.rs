//! Text functions: embeddings (and, next, chunking).

pub mod embed_text;
