//! Model inference as a physical operator.
//!
//! - [`InferenceExec`]: runs one model pass over its input's rows, re-batched to the model's
//!   batch size, decoding ahead of the model on the CPU pool ([`crate::pools`]).
//! - [`LiftModelCalls`]: the physical optimizer rule that moves model function calls out of
//!   projections and filters into `InferenceExec`s below them.
//! - [`MediasqlOptions`]: the `mediasql.*` settings the rule reads.
//! - [`progress`]: a session's rows listed and rows through models, for `mediasql query`'s
//!   progress bar and the server's progress NOTICEs.

mod inference;
mod lift;
mod options;
pub mod progress;
mod rebatch;

pub use inference::InferenceExec;
pub use lift::LiftModelCalls;
pub use options::MediasqlOptions;
