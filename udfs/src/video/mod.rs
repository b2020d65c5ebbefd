//! Video in SQL: decoding with FFmpeg's libraries (Debian's `libav*`, through `ffmpeg-next`).
//!
//! [`decode::FrameReader`] pulls one video's frames one at a time (sampled at a rate, scaled
//! down in the decoder, or keyframes only), so a query never holds more of a video than the
//! frames of the batch it is building. `video_frame_at` (one frame at a time) is here; the
//! table functions over it live in the engine crate (`video_frames`, `video_keyframes`).

pub mod decode;
mod rgb;
pub mod video_frame_at;

use std::sync::Once;

use ffmpeg_next as ffmpeg;

/// Initialises FFmpeg once per process, quietly: damaged input is reported as our errors,
/// not as FFmpeg's log lines on the server's stderr.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if let Err(e) = ffmpeg::init() {
            log::warn!("FFmpeg initialisation: {e}");
        }
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}
