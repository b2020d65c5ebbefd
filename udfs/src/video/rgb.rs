//! Decoded video frames as RGB images, scaled down so that their longer side is at most
//! `max_side` (FFmpeg's `swscale`).

use ffmpeg::format::Pixel;
use ffmpeg::frame;
use ffmpeg::software::scaling;
use ffmpeg_next as ffmpeg;
use image::RgbImage;

/// A converter to RGB at the output size, remade when the decoded frames change size. It
/// cannot move between threads, so each [`Frames`](super::decode::Frames) makes its own.
pub struct Scaler {
    context: scaling::Context,
    source: (Pixel, u32, u32),
    target: (u32, u32),
}

/// `frame` (the video's frame `number`) as RGB, its longer side scaled down to `max_side`;
/// `scaler` is made, or remade when the frames change size, as needed.
pub fn to_rgb(
    frame: &frame::Video,
    number: i64,
    max_side: Option<u32>,
    scaler: &mut Option<Scaler>,
) -> Result<RgbImage, String> {
    let source = (frame.format(), frame.width(), frame.height());
    if scaler.as_ref().is_none_or(|s| s.source != source) {
        let target = output_size(source.1, source.2, max_side);
        let context = scaling::Context::get(
            source.0,
            source.1,
            source.2,
            Pixel::RGB24,
            target.0,
            target.1,
            scaling::Flags::AREA,
        )
        .map_err(|e| format!("converting frames: {e}"))?;
        *scaler = Some(Scaler {
            context,
            source,
            target,
        });
    }
    let Some(scaler) = scaler.as_mut() else {
        return Err("converting frames: no converter".to_string());
    };
    let mut rgb = frame::Video::empty();
    scaler
        .context
        .run(frame, &mut rgb)
        .map_err(|e| format!("converting frame {number}: {e}"))?;
    let (width, height) = scaler.target;
    let (stride, row) = (rgb.stride(0), 3 * width as usize);
    let data = rgb.data(0);
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        pixels.extend_from_slice(&data[y * stride..y * stride + row]);
    }
    RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| "converting frames: wrong buffer size".to_string())
}

/// The size of a `width` x `height` frame scaled so that its longer side is at most
/// `max_side` (never enlarged).
pub fn output_size(width: u32, height: u32, max_side: Option<u32>) -> (u32, u32) {
    let longer = width.max(height);
    match max_side {
        Some(max) if max > 0 && longer > max => {
            let scale = f64::from(max) / f64::from(longer);
            let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
            (side(width), side(height))
        }
        _ => (width, height),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_scale_down_to_max_side_only() {
        assert_eq!(output_size(1920, 1080, Some(416)), (416, 234));
        assert_eq!(output_size(320, 240, Some(416)), (320, 240));
        assert_eq!(output_size(320, 240, None), (320, 240));
    }
}
