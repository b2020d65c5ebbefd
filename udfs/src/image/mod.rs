//! Images in SQL: one Arrow representation used by every image function.
//!
//! An image is `Struct<width: UInt32, height: UInt32, channels: UInt8, data: Binary>`, `data`
//! holding 8-bit pixels row by row (1 = gray, 3 = RGB, 4 = RGBA). Functions that take an image
//! also take raw encoded bytes and decode them themselves.

pub mod crop;
pub mod decode;
pub mod decode_image;
mod dimension;
pub mod encode_image;
pub mod function;
pub mod image_hash;
pub mod image_height;
pub mod image_width;
pub mod resize;
pub mod thumbnail;

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, UInt8Builder, UInt32Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, UInt8Type, UInt32Type};
use datafusion::common::{Result, exec_err, plan_err};
use image::DynamicImage;

use decode::{DEFAULT_MAX_PIXELS, decode, decode_for_size};

use crate::structs::struct_array;

static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
    Fields::from(vec![
        Field::new("width", DataType::UInt32, true),
        Field::new("height", DataType::UInt32, true),
        Field::new("channels", DataType::UInt8, true),
        Field::new("data", DataType::Binary, true),
    ])
});

/// The Arrow type of a decoded image.
pub fn image_type() -> DataType {
    DataType::Struct(FIELDS.clone())
}

/// Whether `dt` is the image struct.
pub fn is_image_type(dt: &DataType) -> bool {
    matches!(dt, DataType::Struct(fields) if *fields == *FIELDS)
}

/// The type an image argument of `function` is coerced to: the image struct as it is, any
/// binary to `Binary` (decoded by the function).
pub fn coerce_image_arg(function: &str, arg: &DataType) -> Result<DataType> {
    match arg {
        t if is_image_type(t) => Ok(t.clone()),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Ok(DataType::Binary),
        other => plan_err!("{function} expects an image struct or binary, got {other}"),
    }
}

/// Images (None = NULL) as an image struct array.
pub fn to_array(images: &[Option<DynamicImage>]) -> Result<ArrayRef> {
    let mut width = UInt32Builder::with_capacity(images.len());
    let mut height = UInt32Builder::with_capacity(images.len());
    let mut channels = UInt8Builder::with_capacity(images.len());
    let bytes = images.iter().flatten().map(|i| i.as_bytes().len()).sum();
    let mut data = BinaryBuilder::with_capacity(images.len(), bytes);
    let mut valid = Vec::with_capacity(images.len());
    for image in images {
        let image = image.as_ref().map(normalise_depth);
        let (w, h, c, pixels) = match &image {
            Some(i) => (
                i.width(),
                i.height(),
                i.color().channel_count(),
                i.as_bytes(),
            ),
            None => (0, 0, 0, &[][..]),
        };
        width.append_value(w);
        height.append_value(h);
        channels.append_value(c);
        data.append_value(pixels);
        valid.push(image.is_some());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(width.finish()),
        Arc::new(height.finish()),
        Arc::new(channels.finish()),
        Arc::new(data.finish()),
    ];
    Ok(Arc::new(struct_array(
        FIELDS.clone(),
        columns,
        Some(valid),
    )?))
}

/// 8 bits per channel, the representation's depth.
fn normalise_depth(image: &DynamicImage) -> std::borrow::Cow<'_, DynamicImage> {
    use std::borrow::Cow;
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => {
            Cow::Borrowed(image)
        }
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLumaA16(_) => {
            Cow::Owned(DynamicImage::ImageRgba8(image.to_rgba8()))
        }
        DynamicImage::ImageLuma16(_) => Cow::Owned(DynamicImage::ImageLuma8(image.to_luma8())),
        i if i.color().has_alpha() => Cow::Owned(DynamicImage::ImageRgba8(i.to_rgba8())),
        i => Cow::Owned(DynamicImage::ImageRgb8(i.to_rgb8())),
    }
}

/// Row `row` of an image struct array as an image (None for NULL).
pub fn from_array(array: &dyn Array, row: usize) -> Result<Option<DynamicImage>> {
    if array.is_null(row) {
        return Ok(None);
    }
    let s = array.as_struct();
    let w = s.column(0).as_primitive::<UInt32Type>().value(row);
    let h = s.column(1).as_primitive::<UInt32Type>().value(row);
    let c = s.column(2).as_primitive::<UInt8Type>().value(row);
    let data = s.column(3).as_binary::<i32>().value(row).to_vec();
    let image = match c {
        1 => image::GrayImage::from_raw(w, h, data).map(DynamicImage::ImageLuma8),
        3 => image::RgbImage::from_raw(w, h, data).map(DynamicImage::ImageRgb8),
        4 => image::RgbaImage::from_raw(w, h, data).map(DynamicImage::ImageRgba8),
        _ => None,
    };
    match image {
        Some(image) => Ok(Some(image)),
        None => exec_err!("not a valid image struct ({w}x{h}, {c} channels)"),
    }
}

/// Row `row` of an image column (struct or `Binary` bytes, decoded here); None for NULL.
/// The error is the row's own message, for the caller to prefix with its name and row.
pub fn image_at(images: &dyn Array, row: usize) -> Result<Option<DynamicImage>, String> {
    if images.is_null(row) {
        return Ok(None);
    }
    if is_image_type(images.data_type()) {
        return from_array(images, row).map_err(|e| e.to_string());
    }
    decode(images.as_binary::<i32>().value(row), DEFAULT_MAX_PIXELS).map(Some)
}

/// [`image_at`] for a consumer needing a shorter side of only `min_shorter` pixels: large
/// JPEGs are decoded at a reduced DCT scale (see [`decode_for_size`]).
pub fn image_at_size(
    images: &dyn Array,
    row: usize,
    min_shorter: u32,
) -> Result<Option<DynamicImage>, String> {
    if images.is_null(row) || is_image_type(images.data_type()) {
        return image_at(images, row);
    }
    let bytes = images.as_binary::<i32>().value(row);
    decode_for_size(bytes, min_shorter, DEFAULT_MAX_PIXELS).map(Some)
}
