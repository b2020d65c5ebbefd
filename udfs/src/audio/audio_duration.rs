//! `audio_duration(bytes [, on_error])`: the length of audio in seconds, decoded (exact, also
//! for MP3s without a length header).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::decode::decode_native;
use crate::bytes::coerce_bytes_and_on_error;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::on_error::OnError;

const WHAT: &str = "audio bytes";
const NAME: &str = "audio_duration";

/// The `audio_duration` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AudioDuration {
    signature: Signature,
}

impl Default for AudioDuration {
    fn default() -> Self {
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(vec!["bytes", "on_error"])
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature }
    }
}

impl ScalarUDFImpl for AudioDuration {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_bytes_and_on_error(NAME, WHAT, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(NAME, args.args.get(1))?;
        let Some(bytes) = args.args.first() else {
            return plan_err!("{NAME} expects audio bytes");
        };
        let bytes = bytes.to_array(args.number_rows)?;
        let bytes = bytes.as_binary::<i32>();
        let mut out = Vec::with_capacity(bytes.len());
        for row in 0..bytes.len() {
            if bytes.is_null(row) {
                out.push(None);
                continue;
            }
            match (decode_native(bytes.value(row)), on_error) {
                (Ok(audio), _) => out.push(Some(audio.duration_s())),
                (Err(_), OnError::Null) => out.push(None),
                (Err(e), OnError::Raise) => return exec_err!("{NAME}: row {row}: {e}"),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
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
