//! `embed_image(image [, model] [, on_error])`: an image embedding, the L2-normalised pooled
//! features of an image classifier (EfficientNet-Lite0: 1280 floats), as
//! `FixedSizeList<Float32, N>`. An image that does not decode fails the query, or is NULL
//! with `on_error => 'null'`.
//!
//! "Photos like this one": `ORDER BY cosine_distance(embed_image(content), <query embedding>)`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{ColumnarValue, Documentation, Signature};

use super::classify::DEFAULT_MODEL;
use super::run::{ImagePass, image_output};
use crate::image::coerce_image_arg;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::models::{
    Head, ModelCall, ModelFunction, ModelFunctionBase, ModelRegistry, l2_normalised, model_name,
};
use crate::on_error::OnError;
use crate::vector::{embedding_type, embeddings_array};

const NAME: &str = "embed_image";
/// Width of EfficientNet-Lite0's `features` output.
const FEATURES: i32 = 1280;

/// The `embed_image` function; holds the engine's model registry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EmbedImage(ModelFunctionBase);

impl EmbedImage {
    pub fn new(models: Arc<ModelRegistry>) -> Self {
        Self(ModelFunctionBase::new(
            &["image", "model", "on_error"],
            models,
        ))
    }
}

impl ModelFunction for EmbedImage {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.0.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let (Some(image), 1..=3) = (arg_types.first(), arg_types.len()) else {
            return plan_err!("{NAME} expects (image [, model] [, on_error => 'raise' | 'null'])");
        };
        let mut coerced = vec![coerce_image_arg(NAME, image)?];
        coerced.resize(arg_types.len(), DataType::Utf8);
        Ok(coerced)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(embedding_type(FEATURES))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall> {
        let model_name = model_name(NAME, args.get(1), DEFAULT_MODEL)?;
        let on_error = OnError::from_arg(NAME, args.get(2))?;
        let pass = ImagePass::new(Arc::clone(&self.0.models), &model_name)?;
        let Some(features) = pass.spec().features.clone() else {
            return plan_err!("{NAME}: model {model_name} has no features output");
        };
        let head: Head = Arc::new(move |output| {
            let output = image_output(output, NAME)?;
            output.check(NAME, on_error)?;
            let rows = output.column(NAME, &model_name, &features, FEATURES as usize)?;
            let normalised = rows.into_iter().map(|r| r.map(l2_normalised)).collect();
            embeddings_array(NAME, normalised, FEATURES)
        });
        Ok(ModelCall {
            pass: Arc::new(pass),
            head,
        })
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "An L2-normalised image embedding: the pooled features of an image classifier \
         (EfficientNet-Lite0 by default, 1280 floats).",
        "embed_image(image [, model] [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT path FROM photos ORDER BY cosine_distance(embed_image(content), \
         (SELECT embed_image(content) FROM photos WHERE path = 'cat.jpg')) LIMIT 10",
    )
    .with_argument(
        "image",
        "An image struct (decode_image) or encoded image bytes.",
    )
    .with_argument("model", "An image classifier with a features output.")
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for images that do not decode (corrupt, truncated).",
    )
    .build()
});
