//! What the registry knows of a model before loading it: its kind, files (with their pinned
//! sha256), preprocessing, as the manifest and each user model's `model.toml` declare them.

use std::path::Path;

use datafusion::common::{DataFusionError, Result};
use serde::{Deserialize, Serialize};

/// What a model does; decides which functions accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    ImageClassifier,
    TextEmbedding,
    ObjectDetector,
    SpeechToText,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ImageClassifier => "image_classifier",
            Self::TextEmbedding => "text_embedding",
            Self::ObjectDetector => "object_detector",
            Self::SpeechToText => "speech_to_text",
        }
    }
}

/// One file of a model, pinned by sha256.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelFile {
    pub role: String,
    pub path: String,
    pub sha256: String,
}

/// How an image model wants its input.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ImageSpec {
    /// Input tensor name.
    pub input: String,
    /// Logits output name.
    pub logits: String,
    /// Pooled-features output name, when the model has one (image embeddings).
    pub features: Option<String>,
    /// Square input side, pixels.
    pub input_size: u32,
    /// Shorter side after resizing, before the centre crop (defaults to `input_size`).
    pub resize_shorter: Option<u32>,
    /// `rgb` or `bgr`.
    pub channel_order: String,
    /// Per channel, on 0–255 values: x = (v - mean) / std.
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Images per model call.
    pub batch_size: usize,
}

/// How a YOLOX-style object detector wants its input and lays out its output.
///
/// Input: the image letterboxed into `input_size` x `input_size` (scaled to fit, placed at the
/// top left, the rest `pad_value`), raw 0–255 values in `channel_order`, NCHW. Output: one row
/// per anchor over the grids of `strides`, each `[x, y, log w, log h, objectness, class
/// probabilities...]` in grid units, sigmoids applied.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct DetectorSpec {
    /// Input tensor name.
    pub input: String,
    /// Output tensor name.
    pub output: String,
    /// Square input side, pixels.
    pub input_size: u32,
    /// `rgb` or `bgr`.
    pub channel_order: String,
    /// The value of the letterbox's padding.
    #[serde(default = "default_pad_value")]
    pub pad_value: f32,
    /// The anchor grids' strides, in output order.
    #[serde(default = "default_strides")]
    pub strides: Vec<u32>,
    /// Boxes of one class overlapping more than this (intersection over union) are merged.
    #[serde(default = "default_nms_iou")]
    pub nms_iou: f32,
    /// Images per model call.
    pub batch_size: usize,
}

fn default_pad_value() -> f32 {
    114.0
}

fn default_strides() -> Vec<u32> {
    vec![8, 16, 32]
}

fn default_nms_iou() -> f32 {
    0.45
}

/// A model the registry knows.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelEntry {
    pub name: String,
    /// Made by `CREATE MODEL`: its files live in the user models directory.
    #[serde(default)]
    pub user: bool,
    pub kind: ModelKind,
    pub source: String,
    pub licence: String,
    pub files: Vec<ModelFile>,
    pub image: Option<ImageSpec>,
    /// How an object detector wants its input and gives its output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<DetectorSpec>,
}

impl ModelEntry {
    /// What decides this model's outputs: its kind, its files' sha256 and its
    /// preprocessing (not where the files are, nor its licence). Results cached under one
    /// fingerprint are never read for another.
    pub fn fingerprint(&self) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{}={}", f.role, f.sha256))
            .collect();
        format!(
            "{}|{}|{:?}|{:?}",
            self.kind.as_str(),
            files.join(","),
            self.image,
            self.detector
        )
    }

    /// The file playing `role` (`model`, `labels`, `tokenizer`...).
    pub fn file(&self, role: &str) -> Result<&ModelFile> {
        self.files
            .iter()
            .find(|f| f.role == role)
            .ok_or_else(|| DataFusionError::Plan(format!("model {}: no {role} file", self.name)))
    }
}

/// The entries kept in `user_dir`; unreadable ones are skipped with a warning so that one bad
/// folder cannot stop the server from starting.
pub(super) fn load_user_entries(user_dir: &Path) -> Vec<ModelEntry> {
    let Ok(folders) = std::fs::read_dir(user_dir) else {
        return Vec::new();
    };
    let mut entries: Vec<ModelEntry> = folders
        .flatten()
        .map(|f| f.path().join("model.toml"))
        .filter(|p| p.is_file())
        .filter_map(|path| {
            let entry = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| toml::from_str::<ModelEntry>(&text).map_err(|e| e.to_string()));
            match entry {
                Ok(entry) => Some(ModelEntry {
                    user: true,
                    ..entry
                }),
                Err(e) => {
                    log::warn!("skipping user model {}: {e}", path.display());
                    None
                }
            }
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}
