//! Image → model tensor, as a model's manifest entry describes it: resize the shorter side
//! (bilinear convolution, antialiased like PIL), centre crop, channel order, (v - mean) / std,
//! NCHW.
//!
//! The resize and the crop are one step: only the crop window is resampled (SIMD, via
//! `fast_image_resize`), at the scale the full resize would have used.

use std::borrow::Cow;
use std::cell::RefCell;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, RgbImage};

use crate::models::ImageSpec;

thread_local! {
    /// Resizers keep scratch buffers: one per thread, reused across images.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

/// Where the crop window lies in the source image, in source pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

/// The source window that resizing the shorter side to `shorter` (other side rounded) and
/// centre-cropping `size` (origin rounded down) keeps.
fn crop_window(width: u32, height: u32, shorter: u32, size: u32) -> Window {
    let (nw, nh) = if width <= height {
        (shorter, scaled(height, shorter, width))
    } else {
        (scaled(width, shorter, height), shorter)
    };
    let sx = f64::from(width) / f64::from(nw);
    let sy = f64::from(height) / f64::from(nh);
    let x0 = f64::from((nw - size) / 2);
    let y0 = f64::from((nh - size) / 2);
    Window {
        left: x0 * sx,
        top: y0 * sy,
        width: f64::from(size) * sx,
        height: f64::from(size) * sy,
    }
}

fn scaled(side: u32, target: u32, other: u32) -> u32 {
    let value = (f64::from(side) * f64::from(target) / f64::from(other.max(1))).round();
    (value as u32).max(target)
}

fn as_rgb(image: &DynamicImage) -> Cow<'_, RgbImage> {
    match image {
        DynamicImage::ImageRgb8(rgb) => Cow::Borrowed(rgb),
        other => Cow::Owned(other.to_rgb8()),
    }
}

/// Writes `image` preprocessed for `spec` into `out` (3 x size x size floats, NCHW).
pub fn preprocess_into(image: &DynamicImage, spec: &ImageSpec, out: &mut Vec<f32>) {
    let size = spec.input_size;
    let shorter = spec.resize_shorter.unwrap_or(size).max(size);
    let rgb = as_rgb(image);
    let (width, height) = rgb.dimensions();
    let window = crop_window(width, height, shorter, size);
    let crop = resample(&rgb, window, size, size);
    let order: [usize; 3] = if spec.channel_order.eq_ignore_ascii_case("bgr") {
        [2, 1, 0]
    } else {
        [0, 1, 2]
    };
    // One plane after the other, each value from a table of the 256 (v - mean) / std of its
    // channel: the same floats as computing them, without a division per value.
    out.reserve(crop.len());
    for (c, &source) in order.iter().enumerate() {
        let table: [f32; 256] = std::array::from_fn(|v| (v as f32 - spec.mean[c]) / spec.std[c]);
        out.extend(
            crop.chunks_exact(3)
                .map(|pixel| table[usize::from(pixel[source])]),
        );
    }
}

/// Resamples `window` of `rgb` to `out_width` x `out_height` RGB8 pixels.
fn resample(rgb: &RgbImage, window: Window, out_width: u32, out_height: u32) -> Vec<u8> {
    let (width, height) = rgb.dimensions();
    let resized = ImageRef::new(width, height, rgb.as_raw(), PixelType::U8x3)
        .ok()
        .and_then(|source| {
            let mut target = Image::new(out_width, out_height, PixelType::U8x3);
            let options = ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
                .crop(window.left, window.top, window.width, window.height);
            RESIZER
                .with(|r| r.borrow_mut().resize(&source, &mut target, &options))
                .ok()
                .map(|()| target.into_vec())
        });
    // A buffer that does not fit (impossible for an RgbImage) falls back to the slow path.
    resized.unwrap_or_else(|| {
        let crop = image::imageops::crop_imm(
            rgb,
            window.left as u32,
            window.top as u32,
            window.width as u32,
            window.height as u32,
        )
        .to_image();
        image::imageops::resize(
            &crop,
            out_width,
            out_height,
            image::imageops::FilterType::Triangle,
        )
        .into_raw()
    })
}

/// How a letterboxed image maps back to the original: model pixels = image pixels x `scale`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    pub scale: f32,
    pub width: u32,
    pub height: u32,
}

/// Writes `image` letterboxed for a detector into `out` (3 x size x size floats, NCHW): scaled
/// to fit `size` keeping its aspect (sides truncated, as YOLOX does), placed at the top left,
/// the rest `pad`; raw 0–255 values in `channel_order` (`rgb` or `bgr`).
pub fn letterbox_into(
    image: &DynamicImage,
    size: u32,
    channel_order: &str,
    pad: f32,
    out: &mut Vec<f32>,
) -> Letterbox {
    let rgb = as_rgb(image);
    let (width, height) = rgb.dimensions();
    let scale = (size as f32 / width.max(1) as f32).min(size as f32 / height.max(1) as f32);
    let fit = |side: u32| ((side as f32 * scale) as u32).clamp(1, size);
    let (fit_width, fit_height) = (fit(width), fit(height));
    let whole = Window {
        left: 0.0,
        top: 0.0,
        width: f64::from(width),
        height: f64::from(height),
    };
    let pixels = resample(&rgb, whole, fit_width, fit_height);
    let order: [usize; 3] = if channel_order.eq_ignore_ascii_case("bgr") {
        [2, 1, 0]
    } else {
        [0, 1, 2]
    };
    let (size, fit_width) = (size as usize, fit_width as usize);
    let start = out.len();
    out.resize(start + 3 * size * size, pad);
    for (c, &source) in order.iter().enumerate() {
        let plane = &mut out[start + c * size * size..start + (c + 1) * size * size];
        for (y, row) in pixels.chunks_exact(3 * fit_width).enumerate() {
            let line = &mut plane[y * size..y * size + fit_width];
            for (value, pixel) in line.iter_mut().zip(row.chunks_exact(3)) {
                *value = f32::from(pixel[source]);
            }
        }
    }
    Letterbox {
        scale,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ImageSpec {
        ImageSpec {
            input: "input".into(),
            logits: "logits".into(),
            features: None,
            input_size: 4,
            resize_shorter: Some(4),
            channel_order: "bgr".into(),
            mean: [127.0; 3],
            std: [128.0; 3],
            batch_size: 1,
        }
    }

    #[test]
    fn window_matches_resize_then_centre_crop() {
        // 600x400 → 384x256, crop 224 at (80, 16) → source (125, 25) size 350.
        let w = crop_window(600, 400, 256, 224);
        assert_eq!(
            w,
            Window {
                left: 125.0,
                top: 25.0,
                width: 350.0,
                height: 350.0
            }
        );
    }

    #[test]
    fn letterbox_fits_the_image_top_left_and_pads_the_rest() {
        // 8x4 red image into 4x4: scaled by 0.5 to 4x2, rows 2 and 3 padded.
        let img = RgbImage::from_pixel(8, 4, image::Rgb([200, 10, 0]));
        let mut out = vec![7.0];
        let letterbox = letterbox_into(&DynamicImage::ImageRgb8(img), 4, "bgr", 114.0, &mut out);
        assert_eq!(letterbox.scale, 0.5);
        assert_eq!((letterbox.width, letterbox.height), (8, 4));
        assert_eq!(out.len(), 1 + 3 * 16);
        let plane = |c: usize| &out[1 + c * 16..1 + (c + 1) * 16];
        // BGR: plane 0 is blue (0), plane 2 red (200); rows 2..4 are padding.
        assert_eq!(&plane(0)[..8], &[0.0; 8]);
        assert_eq!(&plane(2)[..8], &[200.0; 8]);
        assert_eq!(&plane(2)[8..], &[114.0; 8]);
    }

    #[test]
    fn crops_the_centre_and_orders_channels() {
        // 8x4 image: left half red, right half blue; the 4x4 centre crop spans both.
        let mut img = RgbImage::new(8, 4);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = if x < 4 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            };
        }
        let mut out = Vec::new();
        preprocess_into(&DynamicImage::ImageRgb8(img), &spec(), &mut out);
        assert_eq!(out.len(), 3 * 16);
        // BGR: channel 0 is blue. Pixel (0,0) of the crop is x=2 (red); (3,0) is x=5 (blue).
        assert_eq!(out[0], (0.0 - 127.0) / 128.0);
        assert_eq!(out[3], (255.0 - 127.0) / 128.0);
        assert_eq!(out[2 * 16], (255.0 - 127.0) / 128.0);
    }
}
