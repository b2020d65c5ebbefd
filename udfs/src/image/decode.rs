//! Decoding encoded images (JPEG, PNG, GIF, WebP, BMP, TIFF) with limits checked from the
//! header before any pixel buffer is allocated.

use std::io::Cursor;

use image::{DynamicImage, ImageReader, Limits};

/// Images larger than this many pixels are refused (decompression bombs). 100 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// Decodes `bytes`, refusing images over `max_pixels` before allocating their pixels.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, String> {
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
    fn reports_garbage() {
        assert!(decode(b"definitely not an image", DEFAULT_MAX_PIXELS).is_err());
    }
}
