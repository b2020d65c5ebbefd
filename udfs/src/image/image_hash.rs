//! `image_hash(image [, on_error])`: a 64-bit perceptual hash (dHash) as 16 hex digits.
//!
//! The image is reduced to 9x8 grey pixels; each bit says whether a pixel is brighter than its
//! right neighbour. Re-encoded, resized or slightly edited copies keep (nearly) the same hash,
//! so `GROUP BY image_hash(content)` finds near-duplicates.

use std::sync::LazyLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Documentation;
use image::DynamicImage;
use image::imageops::FilterType;

use super::function::{ImageOp, string_array};
use crate::io::download::DOC_SECTION_MEDIA;

/// The `image_hash` function (see [`super::function::ImageFunction`]).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct ImageHash;

/// The difference hash of `image`.
pub fn dhash(image: &DynamicImage) -> u64 {
    let small = image.resize_exact(9, 8, FilterType::Triangle).to_luma8();
    let mut hash = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let brighter = small.get_pixel(x, y)[0] > small.get_pixel(x + 1, y)[0];
            hash = (hash << 1) | u64::from(brighter);
        }
    }
    hash
}

impl ImageOp for ImageHash {
    type Out = String;
    const NAME: &'static str = "image_hash";

    fn parameters() -> Vec<(&'static str, DataType)> {
        vec![]
    }

    fn return_type() -> DataType {
        DataType::Utf8
    }

    fn apply(&self, image: DynamicImage, _args: &[ScalarValue]) -> Result<String, String> {
        Ok(format!("{:016x}", dhash(&image)))
    }

    fn finish(rows: Vec<Option<String>>) -> Result<ArrayRef> {
        string_array(rows)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "A 64-bit perceptual hash (dHash) as 16 hex digits: resized or re-encoded copies of a \
         picture get the same or a nearly equal hash.",
        "image_hash(image [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT image_hash(content), count(*) FROM read_media('photos/', 'image') GROUP BY 1 \
         HAVING count(*) > 1",
    )
    .with_argument(
        "image",
        "An image struct (decode_image) or encoded image bytes.",
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

    fn gradient(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageLuma8(image::GrayImage::from_fn(width, height, |x, y| {
            image::Luma([((x * 7 + y * 3) % 256) as u8])
        }))
    }

    #[test]
    fn resized_copies_hash_alike() {
        let original = gradient(300, 200);
        let smaller = original.resize_exact(150, 100, FilterType::Triangle);
        let distance = (dhash(&original) ^ dhash(&smaller)).count_ones();
        assert!(distance <= 4, "{distance}");
        let other = gradient(300, 200).rotate90();
        assert!((dhash(&original) ^ dhash(&other)).count_ones() > distance);
    }
}
