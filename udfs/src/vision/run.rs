//! Running an image model over a column: rows → preprocessed tensors in the model's batch
//! size → every output the model has, per row. Image-model functions (classify, embed_image)
//! take their output from here.
//!
//! One forward pass serves every function asking the same model about the same column
//! (`SELECT classify(content), embed_image(content)`): the outputs of the last few runs are
//! kept, keyed by the identity of the input array, which DataFusion hands to each function
//! of a projection unchanged. Only weak references to the arrays are kept, so no batch
//! outlives its query; a live array's address cannot be reused while a weak reference to it
//! exists, so the key cannot match another array.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};

use super::preprocess::preprocess_into;
use crate::image::image_at_size;
use crate::models::{BatchModel, LoadedImageModel, run_pipelined};

/// Every output of a model run, by output name: one vector per row (None for NULL rows).
type Outputs = HashMap<String, Vec<Option<Vec<f32>>>>;

/// Runs kept for other functions of the same projection (one per partition running at once).
const KEPT_RUNS: usize = 4;

struct KeptRun {
    model: Weak<LoadedImageModel>,
    images: Weak<dyn Array>,
    outputs: Arc<Outputs>,
}

static KEPT: LazyLock<Mutex<VecDeque<KeptRun>>> = LazyLock::new(Mutex::default);

/// Output `output` of `model` for every row of `images` (None for NULL rows), each of
/// `width` values; `function` names errors.
pub fn run_image_model(
    function: &str,
    model: &Arc<LoadedImageModel>,
    images: &ArrayRef,
    output: &str,
    width: usize,
) -> Result<Vec<Option<Vec<f32>>>> {
    let outputs = match kept(model, images) {
        Some(outputs) => outputs,
        None => {
            let outputs = Arc::new(run_all_outputs(function, model, images)?);
            keep(model, images, Arc::clone(&outputs));
            outputs
        }
    };
    let Some(rows) = outputs.get(output) else {
        return exec_err!(
            "{function}: model {} has no output '{output}'",
            model.entry.name
        );
    };
    if let Some(wrong) = rows.iter().flatten().find(|r| r.len() != width) {
        return exec_err!(
            "{function}: model {} gave {} values of '{output}' per image, expected {width}",
            model.entry.name,
            wrong.len()
        );
    }
    Ok(rows.clone())
}

fn kept(model: &Arc<LoadedImageModel>, images: &ArrayRef) -> Option<Arc<Outputs>> {
    let kept = KEPT.lock().ok()?;
    let images = Arc::downgrade(images);
    let model = Arc::downgrade(model);
    kept.iter()
        .find(|k| Weak::ptr_eq(&k.images, &images) && Weak::ptr_eq(&k.model, &model))
        .map(|k| Arc::clone(&k.outputs))
}

fn keep(model: &Arc<LoadedImageModel>, images: &ArrayRef, outputs: Arc<Outputs>) {
    if let Ok(mut kept) = KEPT.lock() {
        kept.retain(|k| k.images.strong_count() > 0);
        if kept.len() >= KEPT_RUNS {
            kept.pop_front();
        }
        kept.push_back(KeptRun {
            model: Arc::downgrade(model),
            images: Arc::downgrade(images),
            outputs,
        });
    }
}

/// The model's outputs a run fetches: logits, and the features when it has them.
fn output_names(model: &LoadedImageModel) -> Vec<String> {
    let spec = &model.spec;
    std::iter::once(spec.logits.clone())
        .chain(spec.features.clone())
        .collect()
}

/// Runs `model` over every non-NULL row, decoding the next mini-batch while one runs.
fn run_all_outputs(function: &str, model: &LoadedImageModel, images: &ArrayRef) -> Result<Outputs> {
    let images = match images.data_type() {
        DataType::LargeBinary | DataType::BinaryView => cast(images, &DataType::Binary)?,
        _ => Arc::clone(images),
    };
    let names = output_names(model);
    let batches = ImageBatches {
        function,
        model,
        images: images.as_ref(),
        outputs: names.iter().map(String::as_str).collect(),
    };
    let rows: Vec<usize> = (0..images.len()).filter(|&r| images.is_valid(r)).collect();
    let mut outputs: Outputs = names
        .iter()
        .map(|n| (n.clone(), vec![None; images.len()]))
        .collect();
    for (chunk, values) in run_pipelined(&batches, &rows)? {
        for (name, (_, values)) in names.iter().zip(values) {
            let Some(column) = outputs.get_mut(name) else {
                continue;
            };
            let width = values.len() / chunk.len().max(1);
            for (i, &row) in chunk.iter().enumerate() {
                column[row] = values.get(i * width..(i + 1) * width).map(<[f32]>::to_vec);
            }
        }
    }
    Ok(outputs)
}

/// An image model over the rows of one column, as a [`BatchModel`].
struct ImageBatches<'a> {
    function: &'a str,
    model: &'a LoadedImageModel,
    images: &'a dyn Array,
    outputs: Vec<&'a str>,
}

impl BatchModel for ImageBatches<'_> {
    /// The NCHW tensor of a mini-batch and its image count.
    type Input = (Vec<f32>, usize);
    /// (shape, values) per requested output.
    type Output = Vec<(Vec<i64>, Vec<f32>)>;

    fn batch_size(&self) -> usize {
        self.model.spec.batch_size
    }

    fn prepare(&self, rows: &[usize]) -> Result<Self::Input> {
        let spec = &self.model.spec;
        let side = spec.input_size as usize;
        let mut tensor = Vec::with_capacity(rows.len() * 3 * side * side);
        // Decode large JPEGs at a reduced scale, keeping twice the side the resize needs so
        // that the resize still antialiases as the reference preprocessing does.
        let shorter = 2 * spec.resize_shorter.unwrap_or(spec.input_size);
        for &row in rows {
            match image_at_size(self.images, row, shorter) {
                Ok(Some(image)) => preprocess_into(&image, spec, &mut tensor),
                Ok(None) => {}
                Err(e) => return exec_err!("{}: row {row}: {e}", self.function),
            }
        }
        Ok((tensor, rows.len()))
    }

    fn run(&self, (tensor, n): Self::Input) -> Result<Self::Output> {
        let spec = &self.model.spec;
        let side = i64::from(spec.input_size);
        let shape = vec![n as i64, 3, side, side];
        self.model
            .session
            .run_f32(&spec.input, shape, tensor, &self.outputs)
    }
}
