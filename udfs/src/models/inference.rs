//! The seam between model functions and what drives them.
//!
//! A model function (`classify`, `embed_image`, `embed_text`, `transcribe`...) is a
//! declaration: signature, return type, docs, and a [`ModelCall`] made from its constant
//! arguments ([`ModelFunction`], registered as a [`ModelUdf`](crate::model_udf::ModelUdf)). A call is a [`ModelPass`] (the forward pass: CPU work ahead of the model in
//! [`ModelPass::prepare`], the model itself in [`ModelPass::run`]) and a [`Head`] shaping the
//! function's column from the pass output. Calls whose passes share a [`ModelPass::key`] over
//! the same input share one forward pass: `classify(content)` and `embed_image(content)` read
//! the logits and the features of the same run.
//!
//! The inference operator (`InferenceExec` in the engine crate) drives passes across
//! DataFusion batches: rows re-batched to the pass's batch size, prepare on a CPU pool, run
//! on an inference pool. Where the operator is not planned (inside an aggregate, or with
//! `mediasql.inference_exec = false`), [`invoke_in_place`] runs the same pass inside the
//! scalar call, mini-batch by mini-batch.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, Signature,
};

use super::device::Device;

/// A prepared mini-batch: what `prepare` hands to `run` (a tensor, sorted texts, samples).
pub type Prepared = Box<dyn Any + Send>;
/// What one forward pass gives for its mini-batch; read by every head grouped on the pass.
pub type PassOutput = Arc<dyn Any + Send + Sync>;
/// Shapes one function's output column from a pass output (one value per input row).
pub type Head = Arc<dyn Fn(&PassOutput) -> Result<ArrayRef> + Send + Sync>;

/// Set when nobody waits for a model run any more (its query was cancelled, reached its
/// LIMIT or lost its client): runs made of several steps check it and stop early.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A model's forward pass over the rows of one input column.
pub trait ModelPass: Send + Sync + fmt::Debug {
    /// The model's name (shown by EXPLAIN).
    fn model(&self) -> &str;
    /// Passes with equal keys over the same input compute the same outputs.
    fn key(&self) -> String;
    /// Rows per model call that suit the model on its device.
    fn batch_size(&self) -> usize;
    /// Where the model runs.
    fn device(&self) -> Device;
    /// The CPU work ahead of the model (fetch, decode, resize, tokenize, resample) for the
    /// rows of `input`. Per-row errors name the row as `first_row + i`.
    fn prepare(&self, input: &ArrayRef, first_row: usize) -> Result<Prepared>;
    /// The model itself on a prepared mini-batch; a run of several steps ends early (with
    /// an error nobody reads) once `stop` is set.
    fn run(&self, prepared: Prepared, stop: &Stop) -> Result<PassOutput>;
    /// Loads the model (if it is not yet), so that loading overlaps the first batches'
    /// preparation instead of delaying the first run.
    fn load(&self) -> Result<()> {
        Ok(())
    }
    /// What decides the pass's outputs besides its input: the model's fingerprint (its
    /// files' sha256, its preprocessing), the pass's options and the version of its
    /// pre/post-processing code. None: its results are not cached.
    fn fingerprint(&self) -> Option<String> {
        None
    }
    /// Bytes a prepared mini-batch of `rows` rows holds, for memory accounting.
    fn prepared_bytes(&self, rows: usize) -> usize {
        let _ = rows;
        0
    }
}

/// One model function call: the pass it needs and how its column is made from it.
#[derive(Clone)]
pub struct ModelCall {
    pub pass: Arc<dyn ModelPass>,
    pub head: Head,
}

impl fmt::Debug for ModelCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelCall")
            .field("pass", &self.pass)
            .finish_non_exhaustive()
    }
}

/// A model function: its declaration, as DataFusion reads it, and the call its constant
/// arguments make. Registered through [`ModelUdf`](crate::model_udf::ModelUdf).
pub trait ModelFunction: Send + Sync + fmt::Debug + 'static {
    fn name(&self) -> &str;
    fn signature(&self) -> &Signature;
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType>;
    /// The output column's field; by default named after the function, of
    /// [`return_type`](Self::return_type), nullable.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        Ok(Arc::new(Field::new(
            self.name(),
            self.return_type(&types)?,
            true,
        )))
    }
    fn documentation(&self) -> Option<&Documentation>;
    /// The call for these arguments: the options its constant arguments set, the pass it
    /// needs (prepare, run) and its head (postprocess). `args[0]` is the input column and
    /// is not read; the others are constants where the call can be planned.
    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall>;
}

/// Runs a model function inside its scalar call: the batch in mini-batches of the pass's
/// batch size, one after the other. Used where no inference operator was planned.
pub fn invoke_in_place(
    function: &dyn ModelFunction,
    name: &str,
    args: ScalarFunctionArgs,
) -> Result<ColumnarValue> {
    let call = function.model_call(&args.args)?;
    let Some(input) = args.args.first() else {
        return plan_err!("{name} expects an input argument");
    };
    let input = input.to_array(args.number_rows)?;
    let size = call.pass.batch_size().max(1);
    let mut columns = Vec::new();
    let mut start = 0;
    while start < input.len() {
        let len = size.min(input.len() - start);
        columns.push(run_call(&call, &input.slice(start, len), start)?);
        start += len;
    }
    match columns.len() {
        0 => return Ok(ColumnarValue::Array(run_call(&call, &input, 0)?)),
        1 => return Ok(ColumnarValue::Array(columns.remove(0))),
        _ => {}
    }
    let refs: Vec<&dyn Array> = columns.iter().map(AsRef::as_ref).collect();
    Ok(ColumnarValue::Array(concat(&refs)?))
}

fn run_call(call: &ModelCall, input: &ArrayRef, first_row: usize) -> Result<ArrayRef> {
    let prepared = call.pass.prepare(input, first_row)?;
    let output = call.pass.run(prepared, &Stop::default())?;
    (call.head)(&output)
}

/// The pass output as the concrete type its pass made, or an internal error.
pub fn output_as<'a, T: 'static>(output: &'a PassOutput, function: &str) -> Result<&'a T> {
    output.downcast_ref::<T>().ok_or_else(|| {
        datafusion::common::DataFusionError::Internal(format!(
            "{function}: a model pass gave an output of another kind"
        ))
    })
}

/// The prepared batch as the concrete type its pass made, or an internal error.
pub fn prepared_as<T: 'static>(prepared: Prepared, model: &str) -> Result<Box<T>> {
    prepared.downcast::<T>().map_err(|_| {
        datafusion::common::DataFusionError::Internal(format!(
            "model {model}: a prepared batch of another kind"
        ))
    })
}
