//! Decoding encoded images (JPEG, PNG, GIF, WebP, BMP, TIFF) with limits checked from the
//! header before any pixel buffer is allocated.

use std::io::Cursor;

use image::{DynamicImage, ImageReader, Limits};

/// Images larger than this many pixels are refused (decompression bombs). 100 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// A JPEG whose scan data ends without the end-of-image marker was cut short: decoders fill
/// the missing part with grey and say nothing, so this is checked first (PIL raises too).
/// The marker is looked for after the first start-of-scan, past the header segments (an
/// embedded EXIF thumbnail has an end marker of its own).
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), String> {
    const TRUNCATED: &str = "truncated JPEG: the image data ends before its end marker";
    let mut at = 2;
    // Header segments: 0xFF, marker, 2-byte length (which counts itself), payload.
    while let [0xFF, marker, hi, lo, ..] = bytes.get(at..).unwrap_or_default() {
        let length = usize::from(*hi) << 8 | usize::from(*lo);
        if *marker == 0xDA {
            let scan = bytes.get(at + 2 + length..).ok_or(TRUNCATED)?;
            return match scan.windows(2).any(|w| w == [0xFF, 0xD9]) {
                true => Ok(()),
                false => Err(TRUNCATED.to_string()),
            };
        }
        at += 2 + length;
    }
    // Stray bytes between segments: left to the decoder, which reports them.
    if at < bytes.len() {
        return Ok(());
    }
    Err(TRUNCATED.to_string())
}

/// Decodes `bytes`, refusing images over `max_pixels` before allocating their pixels and
/// JPEGs cut short.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, String> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        check_jpeg_complete(bytes)?;
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if reader.format().is_none() {
        return Err("not an image (unknown format)".to_string());
    }
    // Dimensions from the header alone (no checksum or pixel is read).
    let size = imagesize::blob_size(bytes).map_err(|e| format!("unreadable image header: {e}"))?;
    let (width, height) = (size.width as u64, size.height as u64);
    let pixels = width * height;
    if pixels > max_pixels {
        return Err(format!(
            "image is {width}x{height} ({pixels} pixels), over the limit of {max_pixels} pixels"
        ));
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    // 4 bytes a pixel (RGBA8) plus decoder scratch.
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    reader.limits(limits);
    reader.decode().map_err(|e| e.to_string())
}

/// Decodes `bytes` for a consumer that needs a shorter side of only `min_shorter` pixels (a
/// model input): a JPEG at least twice that size is decoded at the smallest DCT scale (1/2,
/// 1/4 or 1/8) that keeps it, skipping most of the decoding work. Anything else: [`decode`].
pub fn decode_for_size(
    bytes: &[u8],
    min_shorter: u32,
    max_pixels: u64,
) -> Result<DynamicImage, String> {
    let Ok(size) = imagesize::blob_size(bytes) else {
        return decode(bytes, max_pixels);
    };
    let shorter = size.width.min(size.height) as u64;
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8]);
    let pixels = size.width as u64 * size.height as u64;
    if !is_jpeg || shorter < 2 * u64::from(min_shorter) || pixels > max_pixels {
        return decode(bytes, max_pixels);
    }
    check_jpeg_complete(bytes)?;
    decode_jpeg_scaled(bytes, size, min_shorter).or_else(|_| decode(bytes, max_pixels))
}

/// A JPEG decoded at the DCT scale that keeps its shorter side >= `min_shorter`.
fn decode_jpeg_scaled(
    bytes: &[u8],
    size: imagesize::ImageSize,
    min_shorter: u32,
) -> Result<DynamicImage, String> {
    let shorter = size.width.min(size.height) as f64;
    let factor = f64::from(min_shorter) / shorter;
    let request = |side: usize| ((side as f64 * factor).ceil() as u64).min(u16::MAX as u64) as u16;
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let (width, height) = decoder
        .scale(request(size.width), request(size.height))
        .map_err(|e| e.to_string())?;
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no JPEG header")?;
    let (w, h) = (u32::from(width), u32::from(height));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => {
            image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
        }
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
        }
        // CMYK and 16-bit JPEGs are rare: the full decoder handles them.
        _ => None,
    };
    image.ok_or_else(|| "unsupported JPEG pixel format".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0]);
        // The IHDR checksum is never read: the size check comes first.
        png.extend_from_slice(&[0, 0, 0, 0]);
        png
    }

    #[test]
    fn refuses_a_bomb_from_its_header() {
        let err = decode(&png_header(100_000, 100_000), DEFAULT_MAX_PIXELS).unwrap_err();
        assert!(err.contains("100000x100000"), "{err}");
    }

    #[test]
    fn large_jpegs_decode_at_a_reduced_scale() {
        let photo = include_bytes!("../../../sql-tests/fixtures/images/coffee.jpg");
        let big = DynamicImage::ImageRgb8(
            image::load_from_memory(photo)
                .unwrap()
                .resize_exact(2400, 1600, image::imageops::FilterType::Triangle)
                .to_rgb8(),
        );
        let mut jpeg = Vec::new();
        big.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        // 1600 / 4 = 400 >= 256 > 1600 / 8: a quarter of each side.
        let scaled = decode_for_size(&jpeg, 256, DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!((scaled.width(), scaled.height()), (600, 400));
        // Too small to scale: the full image.
        let full = decode_for_size(photo, 256, DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!((full.width(), full.height()), (600, 400));
        assert!(decode_for_size(b"garbage", 256, DEFAULT_MAX_PIXELS).is_err());
    }

    #[test]
    fn refuses_a_jpeg_cut_short() {
        let photo = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../sql-tests/fixtures/images/coffee.jpg"
        ))
        .unwrap();
        assert!(decode(&photo, DEFAULT_MAX_PIXELS).is_ok());
        for cut in [photo.len() / 2, photo.len() - 2, 600] {
            let error = decode(&photo[..cut], DEFAULT_MAX_PIXELS).unwrap_err();
            assert!(error.starts_with("truncated JPEG"), "{cut}: {error}");
            let error = decode_for_size(&photo[..cut], 64, DEFAULT_MAX_PIXELS).unwrap_err();
            assert!(error.starts_with("truncated JPEG"), "{cut}: {error}");
        }
    }

    #[test]
    fn reports_garbage() {
        assert!(decode(b"definitely not an image", DEFAULT_MAX_PIXELS).is_err());
    }
}
