//! `video_frame_at(video, timestamp_s [, max_side] [, on_error])`: the frame a video shows at
//! a time, as an image struct. Only the frames from the keyframe before that time are
//! decoded. A time past the end, bytes that are not a video, or damage before the frame are
//! an error naming the function and row (the file, on media tables), or NULL with
//! `on_error => 'null'`.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use image::DynamicImage;

use super::decode::{FrameOptions, FrameReader};
use crate::bytes::is_binary;
use crate::error::row_error;
use crate::image::{image_type, to_array};
use crate::io::download::DOC_SECTION_MEDIA;
use crate::on_error::OnError;

const NAME: &str = "video_frame_at";
const USAGE: &str = "(video, timestamp_s [, max_side] [, on_error => 'raise' | 'null'])";

/// The `video_frame_at` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct VideoFrameAt {
    signature: Signature,
}

impl Default for VideoFrameAt {
    fn default() -> Self {
        let names = ["video", "timestamp_s", "max_side", "on_error"].map(String::from);
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(names.to_vec())
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature }
    }
}

impl ScalarUDFImpl for VideoFrameAt {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.first() {
            Some(video) if is_binary(video) && (2..=4).contains(&arg_types.len()) => {}
            Some(video) if !is_binary(video) => {
                return plan_err!("{NAME} expects video bytes, got {video}");
            }
            _ => return plan_err!("{NAME} expects {USAGE}"),
        }
        let types = [
            DataType::Binary,
            DataType::Float64,
            DataType::Int64,
            DataType::Utf8,
        ];
        Ok(types[..arg_types.len()].to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(image_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let on_error = OnError::from_arg(NAME, args.args.get(3))?;
        let column = |i: usize| -> Result<Option<ArrayRef>> {
            args.args.get(i).map(|a| a.to_array(rows)).transpose()
        };
        let (Some(videos), Some(times)) = (column(0)?, column(1)?) else {
            return plan_err!("{NAME} expects {USAGE}");
        };
        let videos = cast(&videos, &DataType::Binary)?;
        let videos = videos.as_binary::<i32>();
        let times = times.as_primitive::<Float64Type>();
        let sides = column(2)?;
        let sides = sides.as_ref().map(|s| s.as_primitive::<Int64Type>());
        let mut images = Vec::with_capacity(rows);
        for row in 0..rows {
            let (Some(video), Some(at_s)) = (
                videos.is_valid(row).then(|| videos.value(row)),
                times.is_valid(row).then(|| times.value(row)),
            ) else {
                images.push(None);
                continue;
            };
            let max_side = match sides {
                Some(s) if s.is_valid(row) => Some(s.value(row)),
                _ => None,
            };
            match (frame_at(video, at_s, max_side), on_error) {
                (Ok(image), _) => images.push(Some(image)),
                (Err(_), OnError::Null) => images.push(None),
                (Err(e), OnError::Raise) => return Err(row_error(NAME, row, e)),
            }
        }
        Ok(ColumnarValue::Array(to_array(&images)?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// The frame of `video` at `at_s`, its longer side scaled to at most `max_side`.
fn frame_at(video: &[u8], at_s: f64, max_side: Option<i64>) -> Result<DynamicImage, String> {
    let max_side = match max_side {
        None => None,
        Some(side) if side > 0 => Some(u32::try_from(side).unwrap_or(u32::MAX)),
        Some(side) => return Err(format!("max_side must be more than 0, got {side}")),
    };
    let options = FrameOptions {
        max_side,
        ..FrameOptions::default()
    };
    let frame = FrameReader::from_bytes(video, options)?.frame_at(at_s)?;
    Ok(DynamicImage::ImageRgb8(frame.image))
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "The frame a video shows at timestamp_s seconds from its start, as an image struct \
         (the last frame whose time is not after it). Decodes from the keyframe before that \
         time only. For many frames of one video, video_frames is faster.",
        format!("{NAME}{USAGE}"),
    )
    .with_sql_example(
        "SELECT path, classify(video_frame_at(content, 2.5)) FROM read_media('clips/', 'video')",
    )
    .with_argument(
        "video",
        "Encoded video bytes (MP4, MKV, WebM, ...), e.g. a media table's content.",
    )
    .with_argument(
        "timestamp_s",
        "Seconds from the start of the video (0 or more, before its end).",
    )
    .with_argument(
        "max_side",
        "Optional: scale the frame down so that its longer side is at most this many pixels.",
    )
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for rows that fail.",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn scenes() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../sql-tests/fixtures/video/scenes.mp4"
        );
        std::fs::read(path).unwrap()
    }

    #[test]
    fn finds_the_frame_shown_at_a_time() {
        let video = scenes();
        let mut reader = FrameReader::from_bytes(&video, FrameOptions::default()).unwrap();
        let frame = reader.frame_at(2.5).unwrap();
        assert_eq!((frame.index, frame.timestamp_s), (62, 2.48));
        // Between two frames: the earlier one is on screen.
        let mut reader = FrameReader::from_bytes(&video, FrameOptions::default()).unwrap();
        assert_eq!(reader.frame_at(1.01).unwrap().index, 25);
        let image = frame_at(&video, 0.0, Some(240)).unwrap();
        assert_eq!((image.width(), image.height()), (240, 160));
    }

    #[test]
    fn refuses_times_outside_the_video() {
        let video = scenes();
        assert!(
            frame_at(&video, 4.0, None)
                .unwrap_err()
                .contains("past the end")
        );
        assert!(
            frame_at(&video, -1.0, None)
                .unwrap_err()
                .contains("0 or more")
        );
        assert!(
            frame_at(&video, 1.0, Some(0))
                .unwrap_err()
                .contains("max_side")
        );
        assert!(frame_at(b"not a video", 1.0, None).is_err());
    }
}
