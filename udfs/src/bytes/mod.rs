//! Byte-level functions over `content` columns.

pub mod octet_length;
