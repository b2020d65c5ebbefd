//! The forward pass of an image model ([`ImagePass`]): rows → preprocessed NCHW tensor
//! (prepare) → every output the model has (run). `classify` reads the logits, `embed_image`
//! the features; both over the same column share one pass.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};

use super::preprocess::preprocess_into;
use crate::error::row_error;
use crate::image::image_at_size;
use crate::models::{
    Device, ImageSpec, ModelPass, ModelRegistry, PassOutput, Prepared, Stop, output_as, prepared_as,
};
use crate::on_error::OnError;

/// The version of this pass's pre/post-processing: bumped when it changes what the pass
/// gives, so that results cached before are not read again.
const IMAGE_PASS_VERSION: u32 = 1;

/// An image model's forward pass over one column of images (structs or encoded bytes).
#[derive(Debug)]
pub struct ImagePass {
    models: Arc<ModelRegistry>,
    model: String,
    spec: ImageSpec,
}

/// A prepared mini-batch: the tensor of its rows that decoded, and the errors of those
/// that did not (a row's error is its heads' to raise or turn into NULL).
struct ImageInput {
    rows: usize,
    first_row: usize,
    valid: Vec<usize>,
    errors: Vec<(usize, String)>,
    tensor: Vec<f32>,
}

/// Every output of one run: per output name, `width` values for each row that decoded.
#[derive(Debug)]
pub struct ImageOutput {
    rows: usize,
    first_row: usize,
    valid: Vec<usize>,
    /// Rows that did not decode, with their errors.
    errors: Vec<(usize, String)>,
    outputs: Vec<(String, Vec<f32>)>,
}

impl ImageOutput {
    /// The output of a run over `rows` rows of which `valid` decoded and `errors` did not.
    pub fn new(
        rows: usize,
        first_row: usize,
        valid: Vec<usize>,
        errors: Vec<(usize, String)>,
        outputs: Vec<(String, Vec<f32>)>,
    ) -> Self {
        Self {
            rows,
            first_row,
            valid,
            errors,
            outputs,
        }
    }

    /// Applies `on_error` for `function`: the first row that did not decode as its error, or
    /// nothing (those rows are NULL in every column).
    pub fn check(&self, function: &str, on_error: OnError) -> Result<()> {
        match (self.errors.first(), on_error) {
            (Some((row, e)), OnError::Raise) => Err(row_error(function, self.first_row + row, e)),
            _ => Ok(()),
        }
    }

    /// Output `name` per row (None for NULL rows), each of `width` values.
    pub fn column(
        &self,
        function: &str,
        model: &str,
        name: &str,
        width: usize,
    ) -> Result<Vec<Option<Vec<f32>>>> {
        let mut rows = vec![None; self.rows];
        if self.valid.is_empty() {
            return Ok(rows);
        }
        let Some((_, values)) = self.outputs.iter().find(|(n, _)| n == name) else {
            return exec_err!("{function}: model {model} has no output '{name}'");
        };
        if values.len() != width * self.valid.len() {
            return exec_err!(
                "{function}: model {model} gave {} values of '{name}' per image, expected {width}",
                values.len() / self.valid.len()
            );
        }
        for (chunk, &row) in values.chunks_exact(width.max(1)).zip(&self.valid) {
            rows[row] = Some(chunk.to_vec());
        }
        Ok(rows)
    }
}

impl ImagePass {
    /// The pass of image classifier `model`.
    pub fn new(models: Arc<ModelRegistry>, model: &str) -> Result<Self> {
        let (_, spec) = models.image_spec(model)?;
        Ok(Self {
            models,
            model: model.to_string(),
            spec,
        })
    }

    pub fn spec(&self) -> &ImageSpec {
        &self.spec
    }

    /// The model's outputs a run fetches: logits, and the features when it has them.
    fn output_names(&self) -> Vec<&str> {
        std::iter::once(self.spec.logits.as_str())
            .chain(self.spec.features.as_deref())
            .collect()
    }
}

impl ModelPass for ImagePass {
    fn model(&self) -> &str {
        &self.model
    }

    fn key(&self) -> String {
        format!("image:{}", self.model)
    }

    fn fingerprint(&self) -> Option<String> {
        let entry = self.models.entry(&self.model).ok()?;
        Some(format!(
            "{}|v{IMAGE_PASS_VERSION}|{}",
            self.key(),
            entry.fingerprint()
        ))
    }

    fn batch_size(&self) -> usize {
        self.spec.batch_size * self.device().batch_scale()
    }

    fn device(&self) -> Device {
        self.models.device()
    }

    fn prepare(&self, input: &ArrayRef, first_row: usize) -> Result<Prepared> {
        let images = image_column(input)?;
        let side = self.spec.input_size as usize;
        let valid: Vec<usize> = (0..images.len()).filter(|&r| images.is_valid(r)).collect();
        let mut tensor = Vec::with_capacity(valid.len() * 3 * side * side);
        let mut decoded = Vec::with_capacity(valid.len());
        let mut errors = Vec::new();
        // Decode large JPEGs at a reduced scale, keeping twice the side the resize needs so
        // that the resize still antialiases as the reference preprocessing does.
        let shorter = 2 * self.spec.resize_shorter.unwrap_or(self.spec.input_size);
        for row in valid {
            match image_at_size(images.as_ref(), row, shorter) {
                Ok(Some(image)) => {
                    preprocess_into(&image, &self.spec, &mut tensor);
                    decoded.push(row);
                }
                Ok(None) => {}
                Err(e) => errors.push((row, e)),
            }
        }
        Ok(Box::new(ImageInput {
            rows: images.len(),
            first_row,
            valid: decoded,
            errors,
            tensor,
        }))
    }

    fn run(&self, prepared: Prepared, _stop: &Stop) -> Result<PassOutput> {
        let input = prepared_as::<ImageInput>(prepared, &self.model)?;
        let ImageInput {
            rows,
            first_row,
            valid,
            errors,
            tensor,
        } = *input;
        let names = self.output_names();
        let outputs = if valid.is_empty() {
            Vec::new()
        } else {
            let model = self.models.image_model(&self.model)?;
            let side = i64::from(self.spec.input_size);
            let shape = vec![valid.len() as i64, 3, side, side];
            let values = model
                .session
                .run_f32(&self.spec.input, shape, tensor, &names)?;
            names
                .iter()
                .zip(values)
                .map(|(name, (_, values))| (name.to_string(), values))
                .collect()
        };
        Ok(Arc::new(ImageOutput {
            rows,
            first_row,
            valid,
            errors,
            outputs,
        }))
    }

    fn load(&self) -> Result<()> {
        self.models.image_model(&self.model).map(|_| ())
    }

    fn prepared_bytes(&self, rows: usize) -> usize {
        let side = self.spec.input_size as usize;
        rows * 3 * side * side * size_of::<f32>()
    }
}

/// An image column as image structs or `Binary` bytes (what `image_at` reads).
pub fn image_column(input: &ArrayRef) -> Result<ArrayRef> {
    Ok(match input.data_type() {
        DataType::LargeBinary | DataType::BinaryView => cast(input, &DataType::Binary)?,
        _ => Arc::clone(input),
    })
}

/// The image output of a pass, for a head.
pub fn image_output<'a>(output: &'a PassOutput, function: &str) -> Result<&'a ImageOutput> {
    output_as::<ImageOutput>(output, function)
}
