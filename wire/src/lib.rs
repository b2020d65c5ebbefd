//! Arrow → Postgres wire encoding for mediasql's server: the Postgres type of each Arrow type
//! and every cell as text or binary, the same for the wire and for the in-process test runner.
//!
//! A crate of its own so that the dev profile can optimise it (sending rows is its hot loop,
//! 10x slower unoptimised) without optimising, and slowing the build of, the server crate.

mod cell;
pub mod encode;
pub mod float;
mod json;
mod text_row;
pub mod types;
mod values;
pub mod vectors;
