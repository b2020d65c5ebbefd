//! The model registry: default models from the manifest, user models from their folders;
//! sessions loaded lazily, once, each file checked against its sha256 before first use.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use datafusion::common::{DataFusionError, Result, plan_err};
use serde::Deserialize;

use super::device::Device;
use super::entry::{DetectorSpec, ImageSpec, ModelEntry, ModelFile, ModelKind, load_user_entries};
use super::loaded::Loaded;
use super::onnx::{self, OnnxSession};
use super::speech::{self, LoadedSpeechModel};
use super::text::LoadedTextModel;
use super::verify;

/// The manifest shipped with the binary.
const MANIFEST: &str = include_str!("manifest.toml");

#[derive(Debug, Deserialize)]
struct Manifest {
    model: Vec<ModelEntry>,
}

/// A loaded image classifier: its session, labels and preprocessing.
#[derive(Debug)]
pub struct LoadedImageModel {
    pub entry: ModelEntry,
    pub spec: ImageSpec,
    pub labels: Vec<String>,
    pub session: OnnxSession,
}

/// A loaded object detector: its session, labels and pre- and post-processing.
#[derive(Debug)]
pub struct LoadedDetector {
    pub entry: ModelEntry,
    pub spec: DetectorSpec,
    pub labels: Vec<String>,
    pub session: OnnxSession,
}

/// Default and user models by name; sessions load on first use.
#[derive(Debug)]
pub struct ModelRegistry {
    pub(super) dir: PathBuf,
    /// Where `CREATE MODEL` keeps models, one folder each (default `<dir>/user`).
    pub(super) user_dir: PathBuf,
    pub(super) entries: RwLock<Vec<ModelEntry>>,
    pub(super) image_models: Loaded<LoadedImageModel>,
    pub(super) text_models: Loaded<LoadedTextModel>,
    pub(super) speech_models: Loaded<LoadedSpeechModel>,
    pub(super) detectors: Loaded<LoadedDetector>,
    /// Where this registry's models run.
    pub(super) device: Device,
}

/// The default models directory: `MEDIASQL_MODELS`, else `~/.cache/mediasql/models`.
pub fn default_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MEDIASQL_MODELS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/mediasql/models")
}

impl ModelRegistry {
    /// The default models, reading files from `dir`, and the user models in `<dir>/user`.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let user_dir = dir.join("user");
        Self::with_user_dir(dir, user_dir)
    }

    /// The default models from `dir` and the user models kept in `user_dir`.
    pub fn with_user_dir(dir: impl Into<PathBuf>, user_dir: impl Into<PathBuf>) -> Result<Self> {
        let manifest: Manifest = toml::from_str(MANIFEST)
            .map_err(|e| DataFusionError::Internal(format!("model manifest: {e}")))?;
        let user_dir = user_dir.into();
        let mut entries = manifest.model;
        entries.extend(load_user_entries(&user_dir));
        Ok(Self {
            dir: dir.into(),
            user_dir,
            entries: RwLock::new(entries),
            image_models: Loaded::default(),
            text_models: Loaded::default(),
            speech_models: Loaded::default(),
            detectors: Loaded::default(),
            device: Device::Cpu,
        })
    }

    /// The same registry, loading its models on `device`.
    pub fn on_device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Where models run.
    pub fn device(&self) -> Device {
        self.device
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every model: the defaults in manifest order, then the user models by name.
    pub fn entries(&self) -> Vec<ModelEntry> {
        self.entries.read().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn entry(&self, name: &str) -> Result<ModelEntry> {
        let entries = self.entries();
        match entries.iter().find(|e| e.name == name) {
            Some(entry) => Ok(entry.clone()),
            None => {
                let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                Err(crate::error::sql_error(
                    crate::error::SqlState::UndefinedObject,
                    format!(
                        "unknown model '{name}': known models are {}",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// The entry of `name`, which must be a model of `kind` (`what` names the kind in the
    /// error), without loading it.
    pub fn entry_of_kind(&self, name: &str, kind: ModelKind, what: &str) -> Result<ModelEntry> {
        let entry = self.entry(name)?;
        if entry.kind != kind {
            return plan_err!("model '{name}' is a {}, not {what}", entry.kind.as_str());
        }
        Ok(entry)
    }

    /// Where `file` of `entry` lives.
    pub fn file_path(&self, entry: &ModelEntry, file: &ModelFile) -> PathBuf {
        if entry.user {
            self.user_dir.join(&file.path)
        } else {
            self.dir.join(&file.path)
        }
    }

    /// Forgets the loaded session of `name` (after DROP MODEL).
    pub(super) fn unload(&self, name: &str) {
        self.image_models.remove(name);
        self.text_models.remove(name);
        self.speech_models.remove(name);
        self.detectors.remove(name);
    }

    /// Whether `name`'s session is loaded.
    pub fn is_loaded(&self, name: &str) -> bool {
        self.image_models.contains(name)
            || self.text_models.contains(name)
            || self.speech_models.contains(name)
            || self.detectors.contains(name)
    }

    /// The text embedding model `name`, loading it on first use.
    pub fn text_model(&self, name: &str) -> Result<Arc<LoadedTextModel>> {
        self.text_models
            .get_or_load(name, || self.load_text_model(name))
    }

    fn load_text_model(&self, name: &str) -> Result<LoadedTextModel> {
        let entry = self.entry_of_kind(name, ModelKind::TextEmbedding, "a text embedding model")?;
        let mut files = HashMap::new();
        for role in [
            "model",
            "tokenizer",
            "config",
            "special_tokens_map",
            "tokenizer_config",
        ] {
            let path = self.verified_file(&entry, role)?;
            let bytes = std::fs::read(&path).map_err(|e| {
                DataFusionError::Execution(format!("model {name}: reading {}: {e}", path.display()))
            })?;
            files.insert(role, bytes);
        }
        let env = onnx::environment(&self.dir, self.device)?;
        LoadedTextModel::load(entry, files, env, self.device)
    }

    /// The speech-to-text model `name`, loading it on first use.
    pub fn speech_model(&self, name: &str) -> Result<Arc<LoadedSpeechModel>> {
        self.speech_models
            .get_or_load(name, || self.load_speech_model(name))
    }

    fn load_speech_model(&self, name: &str) -> Result<LoadedSpeechModel> {
        let entry = self.entry_of_kind(name, ModelKind::SpeechToText, "a speech-to-text model")?;
        let path = self.verified_file(&entry, "model")?;
        let states = speech::states(self.device);
        LoadedSpeechModel::load(entry, &path, states, self.device)
    }

    /// The verified path of `entry`'s `role` file.
    fn verified_file(&self, entry: &ModelEntry, role: &str) -> Result<PathBuf> {
        let file = entry.file(role)?;
        let path = self.file_path(entry, file);
        verify::check_sha256(&entry.name, &path, &file.sha256)?;
        Ok(path)
    }

    /// The image classifier `name`, loading it on first use.
    pub fn image_model(&self, name: &str) -> Result<Arc<LoadedImageModel>> {
        self.image_models
            .get_or_load(name, || self.load_image_model(name))
    }

    /// The entry and preprocessing of image classifier `name`, without loading it.
    pub fn image_spec(&self, name: &str) -> Result<(ModelEntry, ImageSpec)> {
        let entry = self.entry_of_kind(name, ModelKind::ImageClassifier, "an image classifier")?;
        match entry.image.clone() {
            Some(spec) => Ok((entry, spec)),
            None => plan_err!("model '{name}' has no image preprocessing in its manifest"),
        }
    }

    fn load_image_model(&self, name: &str) -> Result<LoadedImageModel> {
        let (entry, spec) = self.image_spec(name)?;
        let labels = self.labels(&entry)?;
        let model_path = self.verified_file(&entry, "model")?;
        let session = OnnxSession::load(&self.dir, &model_path, self.device)?;
        Ok(LoadedImageModel {
            entry,
            spec,
            labels,
            session,
        })
    }
}

impl ModelRegistry {
    /// The verified labels file of `entry`, one label per line.
    fn labels(&self, entry: &ModelEntry) -> Result<Vec<String>> {
        let path = self.verified_file(entry, "labels")?;
        Ok(std::fs::read_to_string(&path)
            .map_err(|e| DataFusionError::Execution(format!("model {}: {e}", entry.name)))?
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// The entry and processing of object detector `name`, without loading it.
    pub fn detector_spec(&self, name: &str) -> Result<(ModelEntry, DetectorSpec)> {
        let entry = self.entry_of_kind(name, ModelKind::ObjectDetector, "an object detector")?;
        match entry.detector.clone() {
            Some(spec) => Ok((entry, spec)),
            None => plan_err!("model '{name}' has no detector settings in its manifest"),
        }
    }

    /// The object detector `name`, loading it on first use.
    pub fn detector(&self, name: &str) -> Result<Arc<LoadedDetector>> {
        self.detectors.get_or_load(name, || {
            let (entry, spec) = self.detector_spec(name)?;
            let labels = self.labels(&entry)?;
            let model_path = self.verified_file(&entry, "model")?;
            let session = OnnxSession::load(&self.dir, &model_path, self.device)?;
            Ok(LoadedDetector {
                entry,
                spec,
                labels,
                session,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_the_default_models() {
        let registry = ModelRegistry::new("/nonexistent").unwrap();
        let entry = registry.entry("efficientnet_lite0").unwrap();
        assert_eq!(entry.kind, ModelKind::ImageClassifier);
        assert_eq!(entry.image.as_ref().unwrap().input_size, 224);
        assert_eq!(registry.entries().len(), 4);
        let err = registry.entry("nope").unwrap_err().to_string();
        assert!(err.contains("unknown model 'nope'"), "{err}");
        // Missing files are reported with their path, before any runtime is touched.
        let err = registry
            .image_model("efficientnet_lite0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/efficientnet-lite0"), "{err}");
    }
}
