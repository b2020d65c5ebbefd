//! Reading bytes from object stores: the store registry shared by media tables and `download`.

pub mod download;
mod store;

pub use store::{StoreRegistry, StoreUrl};
