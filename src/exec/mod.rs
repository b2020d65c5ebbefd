//! Model inference as a physical operator.
//!
//! - [`InferenceExec`]: runs one model pass over its input's rows, re-batched to the model's
//!   batch size, decoding ahead of the model on the CPU pool ([`crate::pools`]).
//! - [`LiftModelCalls`]: the physical optimizer rule that moves model function calls out of
//!   projections and filters into `InferenceExec`s below them.
//! - [`ProjectAggregateModelCalls`]: the logical rule that moves model calls out of
//!   aggregates into a projection below them, for `LiftModelCalls` to lift.
//! - [`YieldPoints`]: the physical optimizer rule that lets joins' and unnest's tasks yield,
//!   so plans share the plan runtime's threads and stop soon when dropped.
//! - [`UngatheredWideRows`]: the physical optimizer rule that keeps repartitions from
//!   holding wide rows (lists, binaries) outside the memory pool.
//! - [`DeferContentReads`]: the physical optimizer rule that leaves a scan's `content` to
//!   the `InferenceExec` above it, which reads only the bodies the inference cache misses.
//! - [`MediasqlOptions`]: the `mediasql.*` settings the rule reads.
//! - [`progress`]: a session's rows listed and rows through models, for the server's
//!   progress NOTICEs and `mediasql query`'s progress bar ([`progress_bar`]).

mod aggregate_calls;
mod budget;
mod cached;
mod defer_reads;
mod inference;
mod inference_pipeline;
mod lift;
pub mod options;
pub mod pass;
pub mod progress;
pub mod progress_bar;
mod rebatch;
mod slices;
mod stage;
mod wide_rows;
mod yield_points;

pub use aggregate_calls::ProjectAggregateModelCalls;
pub use defer_reads::DeferContentReads;
pub use inference::{Batching, InferenceExec};
pub use lift::{LiftModelCalls, inference_exec};
pub use options::MediasqlOptions;
pub use pass::{Pass, PassExec};
pub use wide_rows::UngatheredWideRows;
pub use yield_points::YieldPoints;
