//! `transcribe(audio [, model] [, language] [, on_error])`: the text spoken in audio (bytes in
//! any format `decode_audio` reads, or 16 kHz samples), by whisper.cpp (default model
//! whisper tiny.en). Silence or empty audio gives ''.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, Documentation, Signature};

use super::speech::{PARAMETERS, coerce_args, speech_call};
use crate::io::download::DOC_SECTION_MEDIA;
use crate::models::{ModelCall, ModelFunction, ModelFunctionBase, ModelRegistry, Segment};

const NAME: &str = "transcribe";

/// The `transcribe` function; holds the engine's model registry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Transcribe(ModelFunctionBase);

impl Transcribe {
    pub fn new(models: Arc<ModelRegistry>) -> Self {
        Self(ModelFunctionBase::new(PARAMETERS, models))
    }
}

impl ModelFunction for Transcribe {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.0.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(NAME, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall> {
        speech_call(NAME, &self.0.models, args, texts)
    }
}

/// The transcript of each row: its segments' texts joined by spaces.
fn texts(rows: Vec<Option<Vec<Segment>>>) -> Result<ArrayRef> {
    let texts: StringArray = rows
        .into_iter()
        .map(|segments| {
            segments.map(|s| {
                let parts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
                parts.join(" ")
            })
        })
        .collect();
    Ok(Arc::new(texts))
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "The text spoken in audio, by a whisper.cpp model (default whisper tiny.en). Long audio \
         is read in 30-second windows; several files run at once on a bounded pool of states.",
        "transcribe(audio [, model] [, language] [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT path, transcribe(content) FROM read_media('calls/', 'audio')")
    .with_argument("audio", "Encoded audio (bytes) or 16 kHz mono samples (decode_audio).")
    .with_argument("model", "A speech-to-text model; default 'whisper_tiny_en'.")
    .with_argument(
        "language",
        "Spoken language code ('en', 'de', ...); default 'en'. Detection ('auto') is refused: name the language.",
    )
    .with_argument("on_error", "'raise' (default) or 'null' for undecodable rows.")
    .build()
});
