//! Running an image model over a column: the seam every image-model function shares
//! (and the streaming inference operator will drive): rows → preprocessed tensor in the
//! model's batch size → one output per row.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};

use super::preprocess::preprocess_into;
use crate::image::image_at;
use crate::models::LoadedImageModel;

/// Output `output` (width `width` per image) of `model` for every row; None for NULL rows.
/// Images run in mini-batches of the model's batch size; `function` names errors.
pub fn run_image_model(
    function: &str,
    model: &LoadedImageModel,
    images: &ArrayRef,
    output: &str,
    width: usize,
) -> Result<Vec<Option<Vec<f32>>>> {
    let images = match images.data_type() {
        DataType::LargeBinary | DataType::BinaryView => cast(images, &DataType::Binary)?,
        _ => Arc::clone(images),
    };
    let spec = &model.spec;
    let size = i64::from(spec.input_size);
    let mut results = vec![None; images.len()];
    let rows: Vec<usize> = (0..images.len()).filter(|&r| images.is_valid(r)).collect();
    for chunk in rows.chunks(spec.batch_size.max(1)) {
        let mut tensor = Vec::with_capacity(chunk.len() * 3 * (size * size) as usize);
        for &row in chunk {
            match image_at(images.as_ref(), row) {
                Ok(Some(image)) => preprocess_into(&image, spec, &mut tensor),
                Ok(None) => {}
                Err(e) => return exec_err!("{function}: row {row}: {e}"),
            }
        }
        let shape = vec![chunk.len() as i64, 3, size, size];
        let outputs = model
            .session
            .run_f32(&spec.input, shape, tensor, &[output])?;
        let Some((_, values)) = outputs.into_iter().next() else {
            return exec_err!(
                "{function}: model {} returned no '{output}'",
                model.entry.name
            );
        };
        if values.len() != chunk.len() * width {
            return exec_err!(
                "{function}: model {} gave {} values of '{output}' for {} images, expected {width} each",
                model.entry.name,
                values.len(),
                chunk.len()
            );
        }
        for (i, &row) in chunk.iter().enumerate() {
            results[row] = Some(values[i * width..(i + 1) * width].to_vec());
        }
    }
    Ok(results)
}
