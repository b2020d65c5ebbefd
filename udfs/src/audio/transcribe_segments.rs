//! `transcribe_segments(audio [, model] [, language] [, on_error])`: the transcript as a list
//! of `{start_s, end_s, text}`, times in seconds from the start of the audio.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, Float64Builder, ListBuilder, StringBuilder, StructBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, Documentation, Signature};

use super::speech::{PARAMETERS, coerce_args, speech_call};
use crate::io::download::DOC_SECTION_MEDIA;
use crate::models::{ModelCall, ModelFunction, ModelFunctionBase, ModelRegistry, Segment};

const NAME: &str = "transcribe_segments";

/// The `transcribe_segments` function; holds the engine's model registry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TranscribeSegments(ModelFunctionBase);

impl TranscribeSegments {
    pub fn new(models: Arc<ModelRegistry>) -> Self {
        Self(ModelFunctionBase::new(PARAMETERS, models))
    }
}

fn segment_fields() -> Fields {
    Fields::from(vec![
        Field::new("start_s", DataType::Float64, false),
        Field::new("end_s", DataType::Float64, false),
        Field::new("text", DataType::Utf8, false),
    ])
}

fn item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(segment_fields()), true))
}

impl ModelFunction for TranscribeSegments {
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
        Ok(DataType::List(item()))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall> {
        speech_call(NAME, &self.0.models, args, segment_lists)
    }
}

/// Each row's segments as a list of `{start_s, end_s, text}`.
fn segment_lists(rows: Vec<Option<Vec<Segment>>>) -> Result<ArrayRef> {
    let segment = StructBuilder::new(
        segment_fields(),
        vec![
            Box::new(Float64Builder::new()),
            Box::new(Float64Builder::new()),
            Box::new(StringBuilder::new()),
        ],
    );
    let mut out = ListBuilder::new(segment).with_field(item());
    for row in rows {
        match row {
            Some(segments) => {
                append(out.values(), &segments);
                out.append(true);
            }
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

fn append(builder: &mut StructBuilder, segments: &[Segment]) {
    for s in segments {
        if let Some(b) = builder.field_builder::<Float64Builder>(0) {
            b.append_value(s.start_s);
        }
        if let Some(b) = builder.field_builder::<Float64Builder>(1) {
            b.append_value(s.end_s);
        }
        if let Some(b) = builder.field_builder::<StringBuilder>(2) {
            b.append_value(&s.text);
        }
        builder.append(true);
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "The transcript of audio as a list of {start_s, end_s, text} segments (whisper.cpp).",
        "transcribe_segments(audio [, model] [, language] [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT path, unnest(transcribe_segments(content)) FROM read_media('calls/', 'audio')",
    )
    .with_argument(
        "audio",
        "Encoded audio (bytes) or 16 kHz mono samples (decode_audio).",
    )
    .with_argument(
        "model",
        "A speech-to-text model; default 'whisper_tiny_en'.",
    )
    .with_argument(
        "language",
        "Spoken language code ('en', 'de', ...); default 'en'. Detection ('auto') is refused: name the language.",
    )
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for undecodable rows.",
    )
    .build()
});
