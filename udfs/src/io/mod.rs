//! Reading bytes from object stores: the store registry shared by media tables and `download`,
//! and the media roots that bound what a server's clients may read.

pub mod download;
mod roots;
mod store;

pub use roots::{MediaRoots, permission_denied};
pub use store::{StoreRegistry, StoreUrl};
