//! `thumbnail(image, max_side [, on_error])`: the image shrunk so that its longer side is at
//! most `max_side`, aspect ratio kept; smaller images come back unchanged.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Documentation;
use image::DynamicImage;

use super::function::{ImageOp, images_array, pixels};
use crate::io::download::DOC_SECTION_MEDIA;

/// The `thumbnail` function (see [`super::function::ImageFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct Thumbnail;

impl ImageOp for Thumbnail {
    type Out = DynamicImage;
    const NAME: &'static str = "thumbnail";

    fn parameters() -> Vec<(&'static str, DataType)> {
        vec![("max_side", DataType::Int64)]
    }

    fn return_type() -> DataType {
        super::image_type()
    }

    fn apply(&self, image: DynamicImage, args: &[ScalarValue]) -> Result<DynamicImage, String> {
        let max_side = pixels(args, 0, "max_side")?;
        if image.width().max(image.height()) <= max_side {
            return Ok(image);
        }
        // Area averaging: the right filter for shrinking, and fast.
        Ok(image.thumbnail(max_side, max_side))
    }

    fn finish(rows: Vec<Option<DynamicImage>>) -> Result<ArrayRef> {
        images_array(rows)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

static DOCUMENTATION: LazyLock<Documentation> =
    LazyLock::new(|| {
        Documentation::builder(
        DOC_SECTION_MEDIA,
        "Shrinks an image so that its longer side is at most max_side pixels, keeping the \
         aspect ratio. Images already small enough are returned unchanged.",
        "thumbnail(image, max_side [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT encode_image(thumbnail(content, 128), 'jpeg') FROM read_media('photos/', 'image')",
    )
    .with_argument("image", "An image struct (decode_image) or encoded image bytes.")
    .with_argument("max_side", "The longest side allowed, in pixels (> 0).")
    .with_argument("on_error", "'raise' (default) or 'null' for rows that fail.")
    .build()
    });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_aspect_ratio_and_never_enlarges() {
        let args = [ScalarValue::Int64(Some(100))];
        let out = Thumbnail
            .apply(DynamicImage::new_rgb8(400, 200), &args)
            .unwrap();
        assert_eq!((out.width(), out.height()), (100, 50));
        let out = Thumbnail
            .apply(DynamicImage::new_rgb8(40, 20), &args)
            .unwrap();
        assert_eq!((out.width(), out.height()), (40, 20));
    }
}
