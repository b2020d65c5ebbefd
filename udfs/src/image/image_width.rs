//! `image_width(image [, on_error])`: an image's width in pixels. For encoded bytes it is
//! read from the header: nothing is decoded.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use super::dimension::{Dimension, Side};
use crate::io::download::DOC_SECTION_MEDIA;

/// The `image_width` function.
pub fn image_width() -> ScalarUDF {
    ScalarUDF::new_from_impl(Dimension::new("image_width", Side::Width, documentation))
}

fn documentation() -> &'static Documentation {
    &DOCUMENTATION
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "An image's width in pixels; for encoded bytes read from the header, without decoding.",
        "image_width(image [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example(
        "SELECT path FROM read_media('photos/', 'image') WHERE image_width(content) > 640",
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
