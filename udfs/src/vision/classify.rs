//! `classify(image [, model] [, top_k] [, on_error])`: the label and score an image
//! classifier gives an image (decoded struct or raw bytes). With `top_k`, a list of the k
//! best. An image that does not decode fails the query, or is NULL with `on_error => 'null'`.
//!
//! The default model is EfficientNet-Lite0 (ImageNet-1k). Rows run through the model in
//! mini-batches of the model's batch size; scores are softmax probabilities.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Float32Array, ListArray, StringArray, StructArray};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, Documentation, ReturnFieldArgs, Signature};

use super::run::{ImageOutput, ImagePass, image_output};
use crate::image::coerce_image_arg;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::models::{
    Head, LoadedImageModel, ModelCall, ModelFunction, ModelFunctionBase, ModelRegistry, model_name,
};
use crate::on_error::OnError;
use crate::structs::struct_array;

const NAME: &str = "classify";
const USAGE: &str = "(image [, model] [, top_k] [, on_error => 'raise' | 'null'])";
/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "efficientnet_lite0";

/// The `classify` function; holds the engine's model registry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Classify(ModelFunctionBase);

fn prediction_fields() -> Fields {
    Fields::from(vec![
        Field::new("label", DataType::Utf8, true),
        Field::new("score", DataType::Float32, true),
    ])
}

impl Classify {
    pub fn new(models: Arc<ModelRegistry>) -> Self {
        Self(ModelFunctionBase::new(
            &["image", "model", "top_k", "on_error"],
            models,
        ))
    }
}

impl ModelFunction for Classify {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.0.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let (Some(image), 1..=4) = (arg_types.first(), arg_types.len()) else {
            return plan_err!("{NAME} expects {USAGE}");
        };
        let mut coerced = vec![coerce_image_arg(NAME, image)?];
        coerced.extend(
            [DataType::Utf8, DataType::Int64, DataType::Utf8]
                .into_iter()
                .take(arg_types.len() - 1),
        );
        Ok(coerced)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args is used")
    }

    /// A list of predictions when `top_k` is given (not NULL), else one prediction.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let prediction = DataType::Struct(prediction_fields());
        let top_k = args.scalar_arguments.get(2).copied().flatten();
        let data_type = if top_k.is_some_and(|k| !k.is_null()) {
            DataType::List(Arc::new(Field::new("item", prediction, true)))
        } else {
            prediction
        };
        Ok(Arc::new(Field::new(NAME, data_type, true)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall> {
        let model_name = model_name(NAME, args.get(1), DEFAULT_MODEL)?;
        let top_k = match args.get(2) {
            Some(ColumnarValue::Scalar(k)) if k.is_null() => None,
            Some(arg) => Some(constant_k(arg)?),
            None => None,
        };
        let on_error = OnError::from_arg(NAME, args.get(3))?;
        let pass = ImagePass::new(Arc::clone(&self.0.models), &model_name)?;
        let models = Arc::clone(&self.0.models);
        let head: Head = Arc::new(move |output| {
            let model = models.image_model(&model_name)?;
            let output = image_output(output, NAME)?;
            output.check(NAME, on_error)?;
            let probabilities = classify_rows(&model, output)?;
            match top_k {
                None => top1_array(&model, &probabilities),
                Some(k) => topk_array(&model, &probabilities, k),
            }
        });
        Ok(ModelCall {
            pass: Arc::new(pass),
            head,
        })
    }
}

fn constant_k(arg: &ColumnarValue) -> Result<usize> {
    match arg {
        ColumnarValue::Scalar(ScalarValue::Int64(Some(k))) if *k > 0 => Ok(*k as usize),
        _ => plan_err!("{NAME}: top_k must be a positive constant integer"),
    }
}

/// Softmax probabilities per row (None for NULL rows).
fn classify_rows(model: &LoadedImageModel, output: &ImageOutput) -> Result<Vec<Option<Vec<f32>>>> {
    let name = &model.entry.name;
    let rows = output.column(NAME, name, &model.spec.logits, model.labels.len())?;
    Ok(rows.into_iter().map(|r| r.map(|l| softmax(&l))).collect())
}

/// Probabilities from logits (numerically stable).
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// The `k` best (class, probability), best first.
fn top_k(probabilities: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(k);
    ranked
}

fn label(model: &LoadedImageModel, class: usize) -> &str {
    model.labels.get(class).map_or("", String::as_str)
}

/// `{label, score}` structs; `valid[i] == false` makes row i NULL.
fn predictions(
    labels: Vec<&str>,
    scores: Vec<f32>,
    valid: Option<Vec<bool>>,
) -> Result<StructArray> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(labels)),
        Arc::new(Float32Array::from(scores)),
    ];
    struct_array(prediction_fields(), columns, valid)
}

fn top1_array(model: &LoadedImageModel, rows: &[Option<Vec<f32>>]) -> Result<ArrayRef> {
    let best: Vec<Option<(usize, f32)>> = rows
        .iter()
        .map(|row| row.as_deref().and_then(|p| top_k(p, 1).into_iter().next()))
        .collect();
    let labels = best
        .iter()
        .map(|b| b.map_or("", |(c, _)| label(model, c)))
        .collect();
    let scores = best.iter().map(|b| b.map_or(0.0, |(_, s)| s)).collect();
    let valid = best.iter().map(Option::is_some).collect();
    Ok(Arc::new(predictions(labels, scores, Some(valid))?))
}

fn topk_array(model: &LoadedImageModel, rows: &[Option<Vec<f32>>], k: usize) -> Result<ArrayRef> {
    let ranked: Vec<Option<Vec<(usize, f32)>>> = rows
        .iter()
        .map(|row| row.as_deref().map(|p| top_k(p, k)))
        .collect();
    let flat = ranked.iter().flatten().flatten();
    let labels = flat.clone().map(|(c, _)| label(model, *c)).collect();
    let scores = flat.map(|(_, s)| *s).collect();
    let values = predictions(labels, scores, None)?;
    let lengths = ranked.iter().map(|r| r.as_ref().map_or(0, Vec::len));
    let valid: Vec<bool> = ranked.iter().map(Option::is_some).collect();
    let field = Arc::new(Field::new(
        "item",
        DataType::Struct(prediction_fields()),
        true,
    ));
    Ok(Arc::new(ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        Arc::new(values),
        Some(NullBuffer::from(valid)),
    )?))
}

static DOCUMENTATION: LazyLock<Documentation> =
    LazyLock::new(|| {
        Documentation::builder(
        DOC_SECTION_MEDIA,
        "Classifies an image with an image classifier (default: EfficientNet-Lite0, ImageNet-1k). \
         Returns {label, score} with the softmax probability, or with top_k a list of the k best.",
        "classify(image [, model] [, top_k] [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT path, classify(content).label FROM read_media('photos/', 'image')")
    .with_argument("image", "An image struct (decode_image) or encoded image bytes.")
    .with_argument("model", "A registered image classifier; default 'efficientnet_lite0'.")
    .with_argument("top_k", "Return a list of the k most likely labels.")
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for images that do not decode (corrupt, truncated).",
    )
    .build()
    });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_and_ranking() {
        let p = softmax(&[1.0, 3.0, 2.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(
            top_k(&p, 2).iter().map(|t| t.0).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }

    /// The synthetic input of MODELS.md: logits match the reference to 1e-3.
    /// Needs the installed model and ONNX Runtime (scripts/install-models.sh).
    #[test]
    fn synthetic_input_matches_reference_logits() {
        let registry = ModelRegistry::new(crate::models::default_models_dir()).unwrap();
        let model = registry.image_model(DEFAULT_MODEL).unwrap();
        let mut x = vec![0f32; 3 * 224 * 224];
        for c in 0..3 {
            for h in 0..224 {
                for w in 0..224 {
                    let v = ((h * 7 + w * 3 + c * 50) % 256) as f32;
                    x[c * 224 * 224 + h * 224 + w] = (v - 127.0) / 128.0;
                }
            }
        }
        let out = model
            .session
            .run_f32("input", vec![1, 3, 224, 224], x, &["logits"])
            .unwrap();
        let logits = &out[0].1;
        let reference = [
            (905, 8.644),
            (807, 6.8654),
            (699, 4.3411),
            (854, 4.1015),
            (753, 3.8701),
        ];
        for (class, value) in reference {
            assert!(
                (logits[class] - value).abs() < 1e-3,
                "class {class}: {} vs {value}",
                logits[class]
            );
        }
        assert_eq!(model.labels[905], "window shade");
    }
}
