//! `resize(image, width, height [, on_error])`: the image scaled to exactly width x height
//! (Catmull-Rom filter; aspect ratio not kept, see `thumbnail` for that).

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Documentation;
use image::DynamicImage;
use image::imageops::FilterType;

use super::decode::DEFAULT_MAX_PIXELS;
use super::function::{ImageOp, images_array, pixels};
use crate::io::download::DOC_SECTION_MEDIA;

/// The `resize` function (see [`super::function::ImageFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct Resize;

/// Refuses an output larger than the decoding limit: `resize` must not be a way around it.
pub fn check_output_size(width: u32, height: u32) -> Result<(), String> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > DEFAULT_MAX_PIXELS {
        return Err(format!(
            "{width}x{height} is {pixels} pixels, over the limit of {DEFAULT_MAX_PIXELS}"
        ));
    }
    Ok(())
}

impl ImageOp for Resize {
    type Out = DynamicImage;
    const NAME: &'static str = "resize";

    fn parameters() -> Vec<(&'static str, DataType)> {
        vec![("width", DataType::Int64), ("height", DataType::Int64)]
    }

    fn return_type() -> DataType {
        super::image_type()
    }

    fn apply(&self, image: DynamicImage, args: &[ScalarValue]) -> Result<DynamicImage, String> {
        let width = pixels(args, 0, "width")?;
        let height = pixels(args, 1, "height")?;
        check_output_size(width, height)?;
        Ok(image.resize_exact(width, height, FilterType::CatmullRom))
    }

    fn finish(rows: Vec<Option<DynamicImage>>) -> Result<ArrayRef> {
        images_array(rows)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "Scales an image to exactly width x height pixels (Catmull-Rom). Use thumbnail to \
         keep the aspect ratio.",
        "resize(image, width, height [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT resize(content, 224, 224) FROM read_media('photos/', 'image')")
    .with_argument(
        "image",
        "An image struct (decode_image) or encoded image bytes.",
    )
    .with_argument("width", "Output width in pixels (> 0).")
    .with_argument("height", "Output height in pixels (> 0).")
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for rows that fail.",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resizes_exactly_and_refuses_huge_outputs() {
        let image = DynamicImage::new_rgb8(40, 20);
        let args = [ScalarValue::Int64(Some(10)), ScalarValue::Int64(Some(30))];
        let out = Resize.apply(image.clone(), &args).unwrap();
        assert_eq!((out.width(), out.height()), (10, 30));
        let huge = [
            ScalarValue::Int64(Some(100_000)),
            ScalarValue::Int64(Some(100_000)),
        ];
        assert!(
            Resize
                .apply(image.clone(), &huge)
                .unwrap_err()
                .contains("over the limit")
        );
        let zero = [ScalarValue::Int64(Some(0)), ScalarValue::Int64(Some(1))];
        assert!(
            Resize
                .apply(image, &zero)
                .unwrap_err()
                .contains("width must be positive")
        );
    }
}
