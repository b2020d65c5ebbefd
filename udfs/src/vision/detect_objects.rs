//! `detect_objects(image [, model] [, min_score] [, on_error])`: the objects an object detector
//! finds in an image (decoded struct or raw bytes), as a list of
//! `{label, score, x, y, w, h}`, best first; boxes are the top-left corner and size in the
//! image's pixels. An image that does not decode fails the query, or is NULL with
//! `on_error => 'null'`; an image with nothing found gives an empty list.
//!
//! The default model is YOLOX-nano (COCO, 80 classes). Rows run through the model in
//! mini-batches of the model's batch size, like every model function.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Float32Array, ListArray, StringArray};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{ColumnarValue, Documentation, Signature};

use super::detect::{DetectPass, Detection, detect_output};
use crate::image::coerce_image_arg;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::models::{
    Head, LoadedDetector, ModelCall, ModelFunction, ModelFunctionBase, ModelRegistry, model_name,
};
use crate::on_error::OnError;
use crate::structs::struct_array;

const NAME: &str = "detect_objects";
const USAGE: &str = "(image [, model] [, min_score] [, on_error => 'raise' | 'null'])";
/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "yolox_nano";
/// Detections scoring less are left out unless `min_score` says otherwise (YOLOX's default).
const DEFAULT_MIN_SCORE: f32 = 0.3;

/// The `detect_objects` function; holds the engine's model registry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DetectObjects(ModelFunctionBase);

fn detection_fields() -> Fields {
    Fields::from(vec![
        Field::new("label", DataType::Utf8, true),
        Field::new("score", DataType::Float32, true),
        Field::new("x", DataType::Float32, true),
        Field::new("y", DataType::Float32, true),
        Field::new("w", DataType::Float32, true),
        Field::new("h", DataType::Float32, true),
    ])
}

fn item_field() -> Arc<Field> {
    Arc::new(Field::new(
        "item",
        DataType::Struct(detection_fields()),
        true,
    ))
}

impl DetectObjects {
    pub fn new(models: Arc<ModelRegistry>) -> Self {
        Self(ModelFunctionBase::new(
            &["image", "model", "min_score", "on_error"],
            models,
        ))
    }
}

impl ModelFunction for DetectObjects {
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
            [DataType::Utf8, DataType::Float64, DataType::Utf8]
                .into_iter()
                .take(arg_types.len() - 1),
        );
        Ok(coerced)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(item_field()))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall> {
        let model_name = model_name(NAME, args.get(1), DEFAULT_MODEL)?;
        let min_score = min_score(args.get(2))?;
        let on_error = OnError::from_arg(NAME, args.get(3))?;
        let pass = DetectPass::new(Arc::clone(&self.0.models), &model_name)?;
        let models = Arc::clone(&self.0.models);
        let head: Head = Arc::new(move |output| {
            let detector = models.detector(&model_name)?;
            let output = detect_output(output, NAME)?;
            output.images.check(NAME, on_error)?;
            let rows = output.detections(NAME, &detector, min_score)?;
            detections_array(&detector, &rows)
        });
        Ok(ModelCall {
            pass: Arc::new(pass),
            head,
        })
    }
}

/// The `min_score` argument: a constant from 0 to 1, or the default when absent or NULL.
fn min_score(arg: Option<&ColumnarValue>) -> Result<f32> {
    match arg {
        None => Ok(DEFAULT_MIN_SCORE),
        Some(ColumnarValue::Scalar(s)) if s.is_null() => Ok(DEFAULT_MIN_SCORE),
        Some(ColumnarValue::Scalar(ScalarValue::Float64(Some(v)))) if (0.0..=1.0).contains(v) => {
            Ok(*v as f32)
        }
        Some(ColumnarValue::Scalar(s)) => {
            plan_err!("{NAME}: min_score must be a constant from 0 to 1, got {s}")
        }
        Some(_) => plan_err!("{NAME}: min_score must be a constant from 0 to 1"),
    }
}

/// A list of `{label, score, x, y, w, h}` per row; None rows are NULL.
fn detections_array(
    detector: &LoadedDetector,
    rows: &[Option<Vec<Detection>>],
) -> Result<ArrayRef> {
    let found: Vec<&Detection> = rows.iter().flatten().flatten().collect();
    let label = |d: &&Detection| detector.labels.get(d.class).map_or("", String::as_str);
    let floats = |f: fn(&&Detection) -> f32| -> ArrayRef {
        Arc::new(Float32Array::from(
            found.iter().map(f).collect::<Vec<f32>>(),
        ))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(
            found.iter().map(label).collect::<Vec<&str>>(),
        )),
        floats(|d| d.score),
        floats(|d| d.x),
        floats(|d| d.y),
        floats(|d| d.w),
        floats(|d| d.h),
    ];
    let values = struct_array(detection_fields(), columns, None)?;
    let lengths = rows.iter().map(|r| r.as_ref().map_or(0, Vec::len));
    let valid: Vec<bool> = rows.iter().map(Option::is_some).collect();
    Ok(Arc::new(ListArray::try_new(
        item_field(),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(values),
        Some(NullBuffer::from(valid)),
    )?))
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "Finds objects in an image with an object detector (default: YOLOX-nano, the 80 COCO \
         classes). Returns a list of {label, score, x, y, w, h}, best first: the box's top-left \
         corner and size in the image's pixels.",
        "detect_objects(image [, model] [, min_score] [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT path, d['label'], d['score'] \
         FROM (SELECT path, unnest(detect_objects(content)) AS d FROM images)",
    )
    .with_argument(
        "image",
        "An image struct (decode_image, video_frames) or encoded image bytes.",
    )
    .with_argument(
        "model",
        "A registered object detector; default 'yolox_nano'.",
    )
    .with_argument(
        "min_score",
        "Leave out detections scoring less (0 to 1); default 0.3.",
    )
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
    fn min_score_is_a_constant_from_0_to_1() {
        let arg = |v: f64| ColumnarValue::Scalar(ScalarValue::Float64(Some(v)));
        assert_eq!(min_score(None).unwrap(), DEFAULT_MIN_SCORE);
        assert_eq!(min_score(Some(&arg(0.5))).unwrap(), 0.5);
        let err = min_score(Some(&arg(1.5))).unwrap_err().to_string();
        assert!(
            err.contains("min_score must be a constant from 0 to 1"),
            "{err}"
        );
    }
}
