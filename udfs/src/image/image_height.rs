//! `image_height(image [, on_error])`: an image's height in pixels. For encoded bytes it is
//! read from the header: nothing is decoded.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use super::dimension::{Dimension, Side};
use crate::io::download::DOC_SECTION_MEDIA;

/// The `image_height` function.
pub fn image_height() -> ScalarUDF {
    ScalarUDF::new_from_impl(Dimension::new("image_height", Side::Height, documentation))
}

fn documentation() -> &'static Documentation {
    &DOCUMENTATION
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "An image's height in pixels; for encoded bytes read from the header, without decoding.",
        "image_height(image [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT path FROM read_media('photos/', 'image') WHERE image_height(content) > 640",
    )
    .with_argument(
        "image",
        "An image struct (decode_image) or encoded image bytes.",
    )
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for unreadable headers.",
    )
    .build()
});
