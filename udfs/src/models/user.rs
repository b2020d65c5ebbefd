//! Models users add with `CREATE MODEL name FROM 'file.onnx' WITH (...)` and remove with
//! `DROP MODEL`. Each lives in its own folder of the user models directory:
//! `<user dir>/<name>/{model.onnx, labels.txt, model.toml}`. `model.toml` is the model's
//! registry entry with the sha256 of each file taken at creation, so a file changed later is
//! refused like a changed default model. Users can add image classifiers and YOLOX-style
//! object detectors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::common::{DataFusionError, Result, plan_err};

use super::entry::{DetectorSpec, ImageSpec, ModelEntry, ModelFile, ModelKind};
use super::onnx::OnnxSession;
use super::registry::ModelRegistry;
use super::verify::sha256_hex;
use crate::error::{SqlState, sql_error};

/// The options `CREATE MODEL ... WITH (...)` understands.
const OPTIONS: &[&str] = &[
    "kind",
    "labels",
    "input_size",
    "resize_shorter",
    "mean",
    "std",
    "channel_order",
    "input",
    "logits",
    "features",
    "batch_size",
    "output",
];

/// Options that only one kind of model takes.
const CLASSIFIER_ONLY: &[&str] = &["resize_shorter", "mean", "std", "logits", "features"];
const DETECTOR_ONLY: &[&str] = &["output"];

/// A `CREATE MODEL` request.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateModel {
    pub name: String,
    /// The ONNX file to copy into the models directory.
    pub source: PathBuf,
    /// `WITH (...)` options, keys lower-case.
    pub options: BTreeMap<String, String>,
    pub if_not_exists: bool,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> DataFusionError {
    DataFusionError::Execution(format!("CREATE MODEL: {what} {}: {e}", path.display()))
}

impl ModelRegistry {
    /// Registers a user model and keeps it in the user models directory. Returns false when
    /// it already existed and `IF NOT EXISTS` was given.
    pub fn create_model(&self, request: &CreateModel) -> Result<bool> {
        let name = request.name.as_str();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return plan_err!("CREATE MODEL: model names are letters, digits and _, got '{name}'");
        }
        let mut entries = self
            .entries
            .write()
            .map_err(|_| DataFusionError::Internal("model registry lock poisoned".into()))?;
        if entries.iter().any(|e| e.name == name) {
            if request.if_not_exists {
                return Ok(false);
            }
            return Err(sql_error(
                SqlState::DuplicateObject,
                format!("model '{name}' already exists"),
            ));
        }
        let entry = self.install(request)?;
        entries.push(entry);
        Ok(true)
    }

    /// Checks the request, then writes the model's folder; returns its entry.
    fn install(&self, request: &CreateModel) -> Result<ModelEntry> {
        let options = &request.options;
        if let Some(unknown) = options.keys().find(|k| !OPTIONS.contains(&k.as_str())) {
            return plan_err!(
                "CREATE MODEL: unknown option '{unknown}': options are {}",
                OPTIONS.join(", ")
            );
        }
        let kind = model_kind(options)?;
        let Some(labels) = options.get("labels") else {
            return plan_err!(
                "CREATE MODEL: an {} needs labels '<file or a,b,c>'",
                kind.as_str().replace('_', " ")
            );
        };
        let labels = read_labels(labels)?;
        // Loading the session checks the file is a model ONNX Runtime can run.
        let session = OnnxSession::load(&self.dir, &request.source, self.device)?;
        let (image, detector) = match kind {
            ModelKind::ObjectDetector => (None, Some(detector_spec(options, &session)?)),
            _ => (Some(image_spec(options, &session)?), None),
        };
        let folder = self.user_dir.join(&request.name);
        let staging = self.user_dir.join(format!(".{}.partial", request.name));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| io_error("creating", &staging, e))?;
        let model = staging.join("model.onnx");
        std::fs::copy(&request.source, &model)
            .map_err(|e| io_error("copying", &request.source, e))?;
        let labels_path = staging.join("labels.txt");
        std::fs::write(&labels_path, labels.join("\n") + "\n")
            .map_err(|e| io_error("writing", &labels_path, e))?;
        let file = |role: &str, path: &Path, file_name: &str| -> Result<ModelFile> {
            Ok(ModelFile {
                role: role.to_string(),
                path: format!("{}/{file_name}", request.name),
                sha256: sha256_hex(&request.name, path)?,
            })
        };
        let entry = ModelEntry {
            name: request.name.clone(),
            user: true,
            kind,
            source: request.source.display().to_string(),
            licence: "user model".to_string(),
            files: vec![
                file("model", &model, "model.onnx")?,
                file("labels", &labels_path, "labels.txt")?,
            ],
            image,
            detector,
        };
        let toml = toml::to_string(&entry)
            .map_err(|e| DataFusionError::Internal(format!("CREATE MODEL: {e}")))?;
        let toml_path = staging.join("model.toml");
        std::fs::write(&toml_path, toml).map_err(|e| io_error("writing", &toml_path, e))?;
        std::fs::rename(&staging, &folder).map_err(|e| io_error("creating", &folder, e))?;
        Ok(entry)
    }

    /// Removes a user model and its files. Returns false when it did not exist and
    /// `IF EXISTS` was given.
    pub fn drop_model(&self, name: &str, if_exists: bool) -> Result<bool> {
        let mut entries = self
            .entries
            .write()
            .map_err(|_| DataFusionError::Internal("model registry lock poisoned".into()))?;
        let Some(index) = entries.iter().position(|e| e.name == name) else {
            if if_exists {
                return Ok(false);
            }
            return Err(sql_error(
                SqlState::UndefinedObject,
                format!("model '{name}' does not exist"),
            ));
        };
        if !entries[index].user {
            return plan_err!(
                "model '{name}' is a default model: only models made by CREATE MODEL can be dropped"
            );
        }
        let folder = self.user_dir.join(name);
        std::fs::remove_dir_all(&folder).map_err(|e| {
            DataFusionError::Execution(format!("DROP MODEL: removing {}: {e}", folder.display()))
        })?;
        entries.remove(index);
        self.unload(name);
        Ok(true)
    }
}

/// Labels from a file (one per line) when `value` names one, else a comma-separated list.
fn read_labels(value: &str) -> Result<Vec<String>> {
    let path = Path::new(value);
    let text = if path.is_file() {
        std::fs::read_to_string(path).map_err(|e| io_error("reading", path, e))?
    } else {
        value.replace(',', "\n")
    };
    let labels: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if labels.is_empty() {
        return plan_err!("CREATE MODEL: labels '{value}' is neither a file nor a list of labels");
    }
    Ok(labels)
}

/// The kind the options ask for (default an image classifier), checking that every option
/// given applies to it.
fn model_kind(options: &BTreeMap<String, String>) -> Result<ModelKind> {
    let (kind, foreign) = match options
        .get("kind")
        .map_or("image_classifier", String::as_str)
    {
        "image_classifier" => (ModelKind::ImageClassifier, DETECTOR_ONLY),
        "object_detector" => (ModelKind::ObjectDetector, CLASSIFIER_ONLY),
        other => {
            return plan_err!(
                "CREATE MODEL: kind '{other}' is not supported: user models are \
                 'image_classifier' or 'object_detector'"
            );
        }
    };
    if let Some(option) = foreign.iter().find(|o| options.contains_key(**o)) {
        return plan_err!(
            "CREATE MODEL: option '{option}' does not apply to an {}",
            kind.as_str().replace('_', " ")
        );
    }
    Ok(kind)
}

/// The tensor named by option `key`, which must be one of `names`; None when not given.
fn tensor_option(
    options: &BTreeMap<String, String>,
    key: &str,
    names: &[String],
) -> Result<Option<String>> {
    match options.get(key) {
        Some(name) if names.contains(name) => Ok(Some(name.clone())),
        Some(name) => plan_err!(
            "CREATE MODEL: the model has no tensor '{name}' ({key}); it has {}",
            names.join(", ")
        ),
        None => Ok(None),
    }
}

fn first(names: &[String]) -> String {
    names.first().cloned().unwrap_or_default()
}

fn channel_order(options: &BTreeMap<String, String>, default: &str) -> Result<String> {
    let order = options.get("channel_order").map_or(default, String::as_str);
    if !matches!(order, "rgb" | "bgr") {
        return plan_err!("CREATE MODEL: channel_order must be 'rgb' or 'bgr'");
    }
    Ok(order.to_string())
}

/// A YOLOX-style detector's processing: letterbox padded with 114, raw 0–255 values, BGR by
/// default (the YOLOX convention), anchors over strides 8, 16 and 32.
fn detector_spec(
    options: &BTreeMap<String, String>,
    session: &OnnxSession,
) -> Result<DetectorSpec> {
    let (inputs, outputs) = session.io_names()?;
    Ok(DetectorSpec {
        input: tensor_option(options, "input", &inputs)?.unwrap_or_else(|| first(&inputs)),
        output: tensor_option(options, "output", &outputs)?.unwrap_or_else(|| first(&outputs)),
        input_size: number(options, "input_size", 416.0)? as u32,
        channel_order: channel_order(options, "bgr")?,
        pad_value: 114.0,
        strides: vec![8, 16, 32],
        nms_iou: 0.45,
        batch_size: number(options, "batch_size", 8.0)? as usize,
    })
}

/// The preprocessing from the options; tensor names default to the model's first input and
/// output and must exist in it.
fn image_spec(options: &BTreeMap<String, String>, session: &OnnxSession) -> Result<ImageSpec> {
    let (inputs, outputs) = session.io_names()?;
    let input_size = number(options, "input_size", 224.0)? as u32;
    let channel_order = channel_order(options, "rgb")?;
    let std = triple(options, "std", 255.0)?;
    if std.contains(&0.0) {
        return plan_err!("CREATE MODEL: std must not be 0");
    }
    Ok(ImageSpec {
        input: tensor_option(options, "input", &inputs)?.unwrap_or_else(|| first(&inputs)),
        logits: tensor_option(options, "logits", &outputs)?.unwrap_or_else(|| first(&outputs)),
        features: tensor_option(options, "features", &outputs)?,
        input_size,
        resize_shorter: Some(number(options, "resize_shorter", f64::from(input_size))? as u32),
        channel_order,
        mean: triple(options, "mean", 0.0)?,
        std,
        batch_size: number(options, "batch_size", 16.0)? as usize,
    })
}

/// A positive whole-number option (at most 4096), or `default`.
fn number(options: &BTreeMap<String, String>, key: &str, default: f64) -> Result<f64> {
    let Some(value) = options.get(key) else {
        return Ok(default);
    };
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(f64::from(n)),
        _ => plan_err!("CREATE MODEL: {key} must be a whole number from 1 to 4096, got '{value}'"),
    }
}

/// One number for all channels or three (`'0.5'` or `'123.7, 116.3, 103.5'`), or `default`.
fn triple(options: &BTreeMap<String, String>, key: &str, default: f32) -> Result<[f32; 3]> {
    let Some(value) = options.get(key) else {
        return Ok([default; 3]);
    };
    let numbers: std::result::Result<Vec<f32>, _> =
        value.split(',').map(|v| v.trim().parse::<f32>()).collect();
    match numbers.as_deref() {
        Ok([v]) => Ok([*v; 3]),
        Ok([r, g, b]) => Ok([*r, *g, *b]),
        _ => plan_err!("CREATE MODEL: {key} must be one number or three, got '{value}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_a_list_and_options_checked() {
        assert_eq!(read_labels("cat, dog").unwrap(), vec!["cat", "dog"]);
        let options: BTreeMap<String, String> = [("mean", "1,2"), ("input_size", "0")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let err = triple(&options, "mean", 0.0).unwrap_err().to_string();
        assert!(err.contains("mean must be one number or three"), "{err}");
        let err = number(&options, "input_size", 1.0).unwrap_err().to_string();
        assert!(err.contains("input_size must be a whole number"), "{err}");
        assert_eq!(triple(&options, "std", 255.0).unwrap(), [255.0; 3]);
    }
}
