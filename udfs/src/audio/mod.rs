//! Audio in SQL: decoding to samples and speech-to-text.
//!
//! Audio arguments are encoded bytes (any format [`decode`] reads) or samples: a list of
//! floats, mono at 16 kHz, as `decode_audio(bytes)` gives by default.

pub mod audio_duration;
pub mod decode;
pub mod decode_audio;
pub mod speech;
pub mod transcribe;
pub mod transcribe_segments;
pub mod truncation;

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, Float32Type};
use datafusion::common::{Result, plan_err};

use decode::decode_mono;

/// `List<Float32>`: samples.
pub fn samples_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float32, true)))
}

/// The type an audio argument of `function` is coerced to: samples lists to
/// `List<Float32>`, any binary to `Binary`.
pub fn coerce_audio_arg(function: &str, arg: &DataType) -> Result<DataType> {
    match arg {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Ok(DataType::Binary),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if f.data_type().is_numeric() =>
        {
            Ok(samples_type())
        }
        other => plan_err!("{function} expects audio bytes or a list of samples, got {other}"),
    }
}

/// Row `row` of an audio column (Binary bytes or `List<Float32>` samples) as mono samples
/// at `rate` Hz; None for NULL. Sample lists are taken as they are.
pub fn samples_at(audio: &dyn Array, row: usize, rate: u32) -> Result<Option<Vec<f32>>, String> {
    if audio.is_null(row) {
        return Ok(None);
    }
    match audio.data_type() {
        DataType::List(_) => {
            let samples = audio.as_list::<i32>().value(row);
            let samples = samples
                .as_primitive_opt::<Float32Type>()
                .ok_or("samples must be a list of float4")?;
            Ok(Some(samples.iter().map(|s| s.unwrap_or(0.0)).collect()))
        }
        _ => decode_mono(audio.as_binary::<i32>().value(row), rate).map(|a| Some(a.samples)),
    }
}
