//! Image → model tensor, as a model's manifest entry describes it: resize the shorter side
//! (bilinear, antialiased), centre crop, channel order, (v - mean) / std, NCHW.

use image::imageops::{self, FilterType};
use image::{DynamicImage, RgbImage};

use crate::models::ImageSpec;

/// Writes `image` preprocessed for `spec` into `out` (3 x size x size floats, NCHW).
pub fn preprocess_into(image: &DynamicImage, spec: &ImageSpec, out: &mut Vec<f32>) {
    let size = spec.input_size;
    let shorter = spec.resize_shorter.unwrap_or(size).max(size);
    let rgb = image.to_rgb8();
    let resized = resize_shorter(&rgb, shorter);
    // Crop origin rounded down, as the reference preprocessing does.
    let x0 = (resized.width() - size) / 2;
    let y0 = (resized.height() - size) / 2;
    let crop = imageops::crop_imm(&resized, x0, y0, size, size).to_image();
    let order: [usize; 3] = if spec.channel_order.eq_ignore_ascii_case("bgr") {
        [2, 1, 0]
    } else {
        [0, 1, 2]
    };
    let plane = (size * size) as usize;
    let start = out.len();
    out.resize(start + 3 * plane, 0.0);
    let tensor = &mut out[start..];
    for (i, pixel) in crop.pixels().enumerate() {
        for (c, &source) in order.iter().enumerate() {
            let v = f32::from(pixel.0[source]);
            tensor[c * plane + i] = (v - spec.mean[c]) / spec.std[c];
        }
    }
}

/// Scales so the shorter side is `shorter`, the other side rounded.
fn resize_shorter(image: &RgbImage, shorter: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let (nw, nh) = if w <= h {
        (shorter, scaled(h, shorter, w))
    } else {
        (scaled(w, shorter, h), shorter)
    };
    if (nw, nh) == (w, h) {
        return image.clone();
    }
    imageops::resize(image, nw, nh, FilterType::Triangle)
}

fn scaled(side: u32, target: u32, other: u32) -> u32 {
    let value = (f64::from(side) * f64::from(target) / f64::from(other.max(1))).round();
    (value as u32).max(target)
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
