//! `crop(image, x, y, width, height [, on_error])`: the width x height region whose top-left
//! corner is (x, y). A region reaching outside the image is a per-row error.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Documentation;
use image::DynamicImage;

use super::function::{ImageOp, images_array, offset, pixels};
use crate::io::download::DOC_SECTION_MEDIA;

/// The `crop` function (see [`super::function::ImageFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct Crop;

impl ImageOp for Crop {
    type Out = DynamicImage;
    const NAME: &'static str = "crop";

    fn parameters() -> Vec<(&'static str, DataType)> {
        vec![
            ("x", DataType::Int64),
            ("y", DataType::Int64),
            ("width", DataType::Int64),
            ("height", DataType::Int64),
        ]
    }

    fn return_type() -> DataType {
        super::image_type()
    }

    fn apply(&self, image: DynamicImage, args: &[ScalarValue]) -> Result<DynamicImage, String> {
        let x = offset(args, 0, "x")?;
        let y = offset(args, 1, "y")?;
        let width = pixels(args, 2, "width")?;
        let height = pixels(args, 3, "height")?;
        let fits =
            |start: u32, len: u32, side: u32| u64::from(start) + u64::from(len) <= u64::from(side);
        if !fits(x, width, image.width()) || !fits(y, height, image.height()) {
            return Err(format!(
                "region {width}x{height} at ({x}, {y}) is outside the {}x{} image",
                image.width(),
                image.height()
            ));
        }
        Ok(image.crop_imm(x, y, width, height))
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
        "The width x height region of an image whose top-left corner is (x, y). A region \
         outside the image is an error (NULL with on_error => 'null').",
        "crop(image, x, y, width, height [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT crop(content, 0, 0, 100, 100) FROM read_media('photos/', 'image')")
    .with_argument(
        "image",
        "An image struct (decode_image) or encoded image bytes.",
    )
    .with_argument("x", "Left edge, pixels from the left (>= 0).")
    .with_argument("y", "Top edge, pixels from the top (>= 0).")
    .with_argument("width", "Region width in pixels (> 0).")
    .with_argument("height", "Region height in pixels (> 0).")
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for rows that fail.",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn args(values: [i64; 4]) -> Vec<ScalarValue> {
        values
            .iter()
            .map(|v| ScalarValue::Int64(Some(*v)))
            .collect()
    }

    #[test]
    fn crops_inside_and_refuses_outside() {
        let image = DynamicImage::new_rgb8(40, 20);
        let out = Crop.apply(image.clone(), &args([10, 5, 30, 15])).unwrap();
        assert_eq!((out.width(), out.height()), (30, 15));
        let err = Crop.apply(image, &args([11, 5, 30, 15])).unwrap_err();
        assert!(err.contains("outside the 40x20 image"), "{err}");
    }
}
