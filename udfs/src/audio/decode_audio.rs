//! `decode_audio(bytes [, sample_rate] [, on_error])`: audio bytes (WAV, MP3, FLAC, Ogg/Vorbis,
//! AAC/M4A) → mono samples (`float4[]`) at `sample_rate` Hz, default 16000 (speech models).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, Float32Builder, ListBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::decode::{SPEECH_RATE, decode_mono};
use super::samples_type;
use crate::error::row_error;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::on_error::OnError;

const NAME: &str = "decode_audio";

/// The `decode_audio` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DecodeAudio {
    signature: Signature,
}

impl Default for DecodeAudio {
    fn default() -> Self {
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(vec!["bytes", "sample_rate", "on_error"])
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature }
    }
}

impl ScalarUDFImpl for DecodeAudio {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let bytes = match arg_types.first() {
            Some(DataType::Binary | DataType::LargeBinary | DataType::BinaryView) => {
                DataType::Binary
            }
            Some(other) => return plan_err!("{NAME} expects audio bytes, got {other}"),
            None => return plan_err!("{NAME} expects (bytes [, sample_rate] [, on_error])"),
        };
        match arg_types.len() {
            1 => Ok(vec![bytes]),
            2 => Ok(vec![bytes, DataType::Int64]),
            3 => Ok(vec![bytes, DataType::Int64, DataType::Utf8]),
            _ => plan_err!("{NAME} expects (bytes [, sample_rate] [, on_error])"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(samples_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rate = match args.args.get(1) {
            None => SPEECH_RATE,
            Some(ColumnarValue::Scalar(s)) if s.is_null() => SPEECH_RATE,
            Some(ColumnarValue::Scalar(ScalarValue::Int64(Some(r))))
                if (1..=384_000).contains(r) =>
            {
                *r as u32
            }
            Some(_) => return plan_err!("{NAME}: sample_rate must be a constant from 1 to 384000"),
        };
        let on_error = OnError::from_arg(NAME, args.args.get(2))?;
        let Some(bytes) = args.args.first() else {
            return plan_err!("{NAME} expects audio bytes");
        };
        let bytes = bytes.to_array(args.number_rows)?;
        let bytes = bytes.as_binary::<i32>();
        let mut out = ListBuilder::new(Float32Builder::new());
        for row in 0..bytes.len() {
            if bytes.is_null(row) {
                out.append_null();
                continue;
            }
            match (decode_mono(bytes.value(row), rate), on_error) {
                (Ok(audio), _) => {
                    out.values().append_slice(&audio.samples);
                    out.append(true);
                }
                (Err(_), OnError::Null) => out.append_null(),
                (Err(e), OnError::Raise) => return Err(row_error(NAME, row, e)),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "Decodes audio (WAV, MP3, FLAC, Ogg/Vorbis, AAC/M4A) to mono float samples, resampled \
         to sample_rate Hz (default 16000, what speech models take). Bytes that decode to no \
         samples (empty, not audio), and a file cut short of the length its container declares \
         (WAV, FLAC, MP4/M4A, Ogg, MP3 with a Xing/Info or VBRI tag), are an error naming the \
         seconds there and declared, or NULL with on_error => 'null'.",
        "decode_audio(bytes [, sample_rate] [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT cardinality(decode_audio(content)) / 16000.0 FROM read_media('clips/', 'audio')",
    )
    .with_argument("bytes", "Encoded audio, e.g. a media table's content.")
    .with_argument(
        "sample_rate",
        "Output rate in Hz (constant), default 16000.",
    )
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for undecodable rows.",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::BinaryArray;
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::config::ConfigOptions;

    use super::*;
    use crate::error::{find_typed, with_row_path};

    const MP3: &[u8] = include_bytes!("../../../sql-tests/fixtures/audio/harbor.mp3");

    fn decode(rows: Vec<Option<&[u8]>>, on_error: &str) -> Result<ColumnarValue> {
        let number_rows = rows.len();
        let args = ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(Arc::new(BinaryArray::from(rows))),
                ColumnarValue::Scalar(ScalarValue::Int64(Some(i64::from(SPEECH_RATE)))),
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(on_error.to_string()))),
            ],
            arg_fields: vec![
                Arc::new(Field::new("content", DataType::Binary, true)),
                Arc::new(Field::new("rate", DataType::Int64, true)),
                Arc::new(Field::new("on_error", DataType::Utf8, true)),
            ],
            number_rows,
            return_field: Arc::new(Field::new("r", samples_type(), true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        DecodeAudio::default().invoke_with_args(args)
    }

    #[test]
    fn a_cut_file_is_an_error_naming_the_file_or_null() {
        // The first 3,000 bytes of an MP3 whose Info header says 3.42 s.
        let rows = vec![Some(MP3), Some(&MP3[..3000])];
        let error = decode(rows.clone(), "raise").unwrap_err();
        let paths = datafusion::arrow::array::StringArray::from(vec!["a/whole.mp3", "a/cut.mp3"]);
        let named = with_row_path(error, &paths);
        assert_eq!(
            find_typed(&named).unwrap().message(),
            "decode_audio: a/cut.mp3: truncated audio: 0.32 s of the 3.42 s \
             its MP3 header declares (3000 bytes)"
        );
        let ColumnarValue::Array(out) = decode(rows, "null").unwrap() else {
            panic!("expected an array")
        };
        let out = out.as_list::<i32>();
        assert!(out.is_valid(0) && out.value(0).len() > 50_000);
        assert!(out.is_null(1));
    }
}
