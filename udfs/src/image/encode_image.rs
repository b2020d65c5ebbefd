//! `encode_image(image, format [, on_error])`: an image as PNG or JPEG bytes.
//!
//! JPEG has no alpha channel: RGBA images lose theirs when encoded as JPEG.

use std::io::Cursor;
use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Documentation;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat};

use super::function::{ImageOp, binary_array};
use crate::io::download::DOC_SECTION_MEDIA;

/// JPEG quality, as most tools default to.
const JPEG_QUALITY: u8 = 90;

/// The `encode_image` function (see [`super::function::ImageFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct EncodeImage;

impl ImageOp for EncodeImage {
    type Out = Vec<u8>;
    const NAME: &'static str = "encode_image";

    fn parameters() -> Vec<(&'static str, DataType)> {
        vec![("format", DataType::Utf8)]
    }

    fn return_type() -> DataType {
        DataType::Binary
    }

    fn apply(&self, image: DynamicImage, args: &[ScalarValue]) -> Result<Vec<u8>, String> {
        let format = match args.first() {
            Some(ScalarValue::Utf8(Some(f))) => f.to_ascii_lowercase(),
            other => return Err(format!("format must be 'png' or 'jpeg', got {other:?}")),
        };
        let mut out = Cursor::new(Vec::new());
        match format.as_str() {
            "png" => image.write_to(&mut out, ImageFormat::Png),
            "jpeg" | "jpg" => {
                let image = match image {
                    i @ (DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_)) => i,
                    i => DynamicImage::ImageRgb8(i.to_rgb8()),
                };
                image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
            }
            _ => return Err(format!("format must be 'png' or 'jpeg', got '{format}'")),
        }
        .map_err(|e| e.to_string())?;
        Ok(out.into_inner())
    }

    fn finish(rows: Vec<Option<Vec<u8>>>) -> Result<ArrayRef> {
        binary_array(rows)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

static DOCUMENTATION: LazyLock<Documentation> =
    LazyLock::new(|| {
        Documentation::builder(
        DOC_SECTION_MEDIA,
        "Encodes an image as PNG or JPEG (quality 90) bytes. JPEG drops an alpha channel.",
        "encode_image(image, 'png' | 'jpeg' [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT encode_image(thumbnail(content, 128), 'png') FROM read_media('photos/', 'image')",
    )
    .with_argument("image", "An image struct (decode_image) or encoded image bytes.")
    .with_argument("format", "'png' or 'jpeg'.")
    .with_argument("on_error", "'raise' (default) or 'null' for rows that fail.")
    .build()
    });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::decode::{DEFAULT_MAX_PIXELS, decode};

    #[test]
    fn round_trips_through_png_and_jpeg() {
        let image = DynamicImage::new_rgba8(8, 4);
        for format in ["png", "JPEG"] {
            let args = [ScalarValue::Utf8(Some(format.to_string()))];
            let bytes = EncodeImage.apply(image.clone(), &args).unwrap();
            let back = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap();
            assert_eq!((back.width(), back.height()), (8, 4));
        }
        let args = [ScalarValue::Utf8(Some("gif".to_string()))];
        let err = EncodeImage.apply(image, &args).unwrap_err();
        assert!(err.contains("'png' or 'jpeg'"), "{err}");
    }
}
