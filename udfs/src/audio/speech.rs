//! What `transcribe` and `transcribe_segments` share: their arguments, and running a whisper
//! model over the rows of a column, several rows at once on the model's pool of states.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use super::coerce_audio_arg;
use super::decode::SPEECH_RATE;
use crate::models::{LoadedSpeechModel, ModelRegistry, Segment, constant_string, model_name};
use crate::on_error::OnError;

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "whisper_tiny_en";
/// The parameter names of both functions.
pub const PARAMETERS: &[&str] = &["audio", "model", "language", "on_error"];

/// Coerces `(audio [, model] [, language] [, on_error])`.
pub fn coerce_args(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    let Some(audio) = arg_types.first() else {
        return plan_err!("{function} expects (audio [, model] [, language] [, on_error])");
    };
    if arg_types.len() > PARAMETERS.len() {
        return plan_err!("{function} expects (audio [, model] [, language] [, on_error])");
    }
    let mut coerced = vec![coerce_audio_arg(function, audio)?];
    coerced.resize(arg_types.len(), DataType::Utf8);
    Ok(coerced)
}

/// The constant arguments after `audio`.
struct SpeechArgs {
    model: String,
    language: String,
    on_error: OnError,
}

impl SpeechArgs {
    fn parse(function: &str, args: &[ColumnarValue]) -> Result<Self> {
        Ok(Self {
            model: model_name(function, args.get(1), DEFAULT_MODEL)?,
            language: constant_string(function, "language", args.get(2), "en")?,
            on_error: OnError::from_arg(function, args.get(3))?,
        })
    }
}

/// Both functions' work before shaping their output: the arguments parsed, the model
/// loaded, every row transcribed.
pub fn transcribe_args(
    function: &str,
    models: &ModelRegistry,
    args: &ScalarFunctionArgs,
) -> Result<Vec<Option<Vec<Segment>>>> {
    let speech = SpeechArgs::parse(function, &args.args)?;
    let Some(audio) = args.args.first() else {
        return plan_err!("{function} expects audio");
    };
    let audio = audio.to_array(args.number_rows)?;
    let model = models.speech_model(&speech.model)?;
    transcribe_rows(function, &model, audio.as_ref(), &speech)
}

/// One row's segments (None for NULL), or its error.
type RowResult = std::result::Result<Option<Vec<Segment>>, String>;

/// The segments of every row of `audio` (None for NULL, and for failed rows under
/// `on_error => 'null'`), rows running in parallel on the model's states.
fn transcribe_rows(
    function: &str,
    model: &LoadedSpeechModel,
    audio: &dyn Array,
    args: &SpeechArgs,
) -> Result<Vec<Option<Vec<Segment>>>> {
    let rows = audio.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = model.max_states().min(rows).max(1);
    let threads = (cores / workers).max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, RowResult)>> = Mutex::new(Vec::with_capacity(rows));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let row = next.fetch_add(1, Ordering::Relaxed);
                    if row >= rows {
                        break;
                    }
                    let result =
                        samples_then_transcribe(model, audio, row, &args.language, threads);
                    if let Ok(mut results) = results.lock() {
                        results.push((row, result));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(row, _)| *row);
    if results.len() != rows {
        return exec_err!("{function}: a transcription worker failed");
    }
    results
        .into_iter()
        .map(|(row, result)| match (result, args.on_error) {
            (Ok(segments), _) => Ok(segments),
            (Err(_), OnError::Null) => Ok(None),
            (Err(e), OnError::Raise) => exec_err!("{function}: row {row}: {e}"),
        })
        .collect()
}

fn samples_then_transcribe(
    model: &LoadedSpeechModel,
    audio: &dyn Array,
    row: usize,
    language: &str,
    threads: usize,
) -> RowResult {
    match super::samples_at(audio, row, SPEECH_RATE)? {
        Some(samples) => model.transcribe(&samples, language, threads).map(Some),
        None => Ok(None),
    }
}
