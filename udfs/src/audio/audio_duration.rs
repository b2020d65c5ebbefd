//! `audio_duration(bytes [, on_error])`: the length of audio in seconds, decoded (exact, also
//! for MP3s without a length header).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::Documentation;

use super::decode::decode_native;
use crate::bytes::function::BytesOp;
use crate::io::download::DOC_SECTION_MEDIA;

const WHAT: &str = "audio bytes";
const NAME: &str = "audio_duration";

/// The `audio_duration` function (see [`crate::bytes::function::BytesFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct AudioDuration;

impl BytesOp for AudioDuration {
    type Out = f64;
    const NAME: &'static str = NAME;
    const WHAT: &'static str = WHAT;

    fn return_type() -> DataType {
        DataType::Float64
    }

    fn apply(&self, bytes: &[u8]) -> std::result::Result<f64, String> {
        decode_native(bytes).map(|audio| audio.duration_s())
    }

    fn finish(rows: Vec<Option<f64>>) -> Result<ArrayRef> {
        Ok(Arc::new(Float64Array::from(rows)))
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "The length of audio in seconds, from its decoded samples. The media table's \
         duration_s column reads headers instead (no decoding).",
        "audio_duration(bytes [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT path, audio_duration(content) FROM read_media('clips/', 'audio')")
    .with_argument("bytes", "Encoded audio, e.g. a media table's content.")
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for undecodable rows.",
    )
    .build()
});
