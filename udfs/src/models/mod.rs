//! The model registry: default models from [`manifest.toml`](manifest.toml), files in the models
//! directory (`MEDIASQL_MODELS`, default `~/.cache/mediasql/models`, filled by
//! `scripts/install-models.sh`), each checked against its sha256 before first use.
//!
//! Sessions load lazily, once, and are shared by every query and connection. Model functions
//! plug in through [`inference`]: a forward pass (batch size, prepare, run) and a head per
//! function, driven by the engine's inference operator.

mod device;
mod entry;
mod function;
pub mod inference;
mod loaded;
mod onnx;
mod registry;
mod speech;
mod text;
mod user;
mod verify;

pub use device::Device;
pub use entry::{DetectorSpec, ImageSpec, ModelEntry, ModelFile, ModelKind};
pub use function::{ModelFunctionBase, constant_string, model_name};
pub use inference::{
    Head, ModelCall, ModelFunction, ModelPass, PassOutput, Prepared, Stop, invoke_in_place,
    output_as, prepared_as,
};
pub use onnx::OnnxSession;
pub use registry::{LoadedDetector, LoadedImageModel, ModelRegistry, default_models_dir};
pub use speech::{LoadedSpeechModel, Segment, check_language};
pub use text::{LoadedTextModel, l2_normalised};
pub use user::CreateModel;
