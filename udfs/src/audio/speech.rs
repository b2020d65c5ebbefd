//! What `transcribe` and `transcribe_segments` share: their arguments, and the speech pass
//! (decode and resample, then whisper over several rows at once on the model's states).

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::ColumnarValue;

use super::coerce_audio_arg;
use super::decode::SPEECH_RATE;
use crate::error::row_error;
use crate::models::{
    Device, Head, LoadedSpeechModel, ModelCall, ModelKind, ModelPass, ModelRegistry, PassOutput,
    Prepared, Segment, Stop, check_language, constant_string, model_name, output_as, prepared_as,
};
use crate::on_error::OnError;

/// The version of this pass's pre/post-processing: bumped when it changes what the pass
/// gives, so that results cached before are not read again.
const SPEECH_PASS_VERSION: u32 = 1;

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
        let language = constant_string(function, "language", args.get(2), "en")?;
        check_language(function, &language)?;
        Ok(Self {
            model: model_name(function, args.get(1), DEFAULT_MODEL)?,
            language,
            on_error: OnError::from_arg(function, args.get(3))?,
        })
    }
}

/// A call of either function: the shared speech pass, and a head applying `on_error` to
/// each row's result and shaping the column with `shape`.
pub fn speech_call(
    function: &'static str,
    models: &Arc<ModelRegistry>,
    args: &[ColumnarValue],
    shape: fn(Vec<Option<Vec<Segment>>>) -> Result<ArrayRef>,
) -> Result<ModelCall> {
    let speech = SpeechArgs::parse(function, args)?;
    models.entry_of_kind(
        &speech.model,
        ModelKind::SpeechToText,
        "a speech-to-text model",
    )?;
    let on_error = speech.on_error;
    let pass = SpeechPass {
        models: Arc::clone(models),
        model: speech.model,
        language: speech.language,
    };
    let head: Head = Arc::new(move |output| {
        let output = output_as::<SpeechOutput>(output, function)?;
        let rows = output
            .rows
            .iter()
            .enumerate()
            .map(|(i, result)| match (result, on_error) {
                (Ok(segments), _) => Ok(segments.clone()),
                (Err(_), OnError::Null) => Ok(None),
                (Err(e), OnError::Raise) => Err(row_error(function, output.first_row + i, e)),
            })
            .collect::<Result<Vec<_>>>()?;
        shape(rows)
    });
    Ok(ModelCall {
        pass: Arc::new(pass),
        head,
    })
}

/// One row's segments (None for NULL), or its error.
type RowResult = std::result::Result<Option<Vec<Segment>>, String>;
/// One row's samples (None for NULL), or its decoding error.
type RowSamples = std::result::Result<Option<Vec<f32>>, String>;

/// A whisper model's pass over one column of audio: decode and resample (prepare), then
/// transcribe several rows at once on the model's states (run).
#[derive(Debug)]
struct SpeechPass {
    models: Arc<ModelRegistry>,
    model: String,
    language: String,
}

/// Samples per row (None for NULL), or the row's decoding error.
struct SpeechInput {
    first_row: usize,
    rows: Vec<RowSamples>,
}

/// Segments per row, or the row's error; `on_error` is the heads' to apply.
struct SpeechOutput {
    first_row: usize,
    rows: Vec<RowResult>,
}

impl ModelPass for SpeechPass {
    fn model(&self) -> &str {
        &self.model
    }

    fn key(&self) -> String {
        format!("speech:{}:{}", self.model, self.language)
    }

    fn fingerprint(&self) -> Option<String> {
        let entry = self.models.entry(&self.model).ok()?;
        Some(format!(
            "{}|v{SPEECH_PASS_VERSION}|{}",
            self.key(),
            entry.fingerprint()
        ))
    }

    /// A clip per core: a call keeps every core busy whether the model runs its clips one
    /// after another on all cores or side by side on a state each.
    fn batch_size(&self) -> usize {
        crate::cores()
    }

    fn device(&self) -> Device {
        self.models.device()
    }

    fn prepare(&self, input: &ArrayRef, first_row: usize) -> Result<Prepared> {
        let rows = (0..input.len())
            .map(|row| super::samples_at(input.as_ref(), row, SPEECH_RATE))
            .collect();
        Ok(Box::new(SpeechInput { first_row, rows }))
    }

    fn load(&self) -> Result<()> {
        self.models.speech_model(&self.model).map(|_| ())
    }

    fn run(&self, prepared: Prepared, stop: &Stop) -> Result<PassOutput> {
        let input = prepared_as::<SpeechInput>(prepared, &self.model)?;
        let model = self.models.speech_model(&self.model)?;
        let rows = transcribe_rows(&model, input.rows, &self.language, stop)?;
        Ok(Arc::new(SpeechOutput {
            first_row: input.first_row,
            rows,
        }))
    }
}

/// The segments of every row, rows running in parallel on the model's states, the cores
/// shared among them.
fn transcribe_rows(
    model: &LoadedSpeechModel,
    rows: Vec<RowSamples>,
    language: &str,
    stop: &Stop,
) -> Result<Vec<RowResult>> {
    let count = rows.len();
    let workers = model.max_states().min(count).max(1);
    let threads = (crate::cores() / workers).max(1);
    let work: Mutex<Vec<(usize, RowSamples)>> =
        Mutex::new(rows.into_iter().enumerate().rev().collect());
    let results: Mutex<Vec<(usize, RowResult)>> = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((row, samples)) = work.lock().ok().and_then(|mut w| w.pop()) {
                    let result = samples.and_then(|samples| match samples {
                        Some(samples) => model
                            .transcribe(&samples, language, threads, stop)
                            .map(Some),
                        None => Ok(None),
                    });
                    if let Ok(mut results) = results.lock() {
                        results.push((row, result));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(row, _)| *row);
    if results.len() != count {
        return exec_err!("model {}: a transcription worker failed", model.entry.name);
    }
    Ok(results.into_iter().map(|(_, result)| result).collect())
}
