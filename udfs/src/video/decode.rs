//! One video's frames, pulled one at a time: [`FrameReader`].
//!
//! Frames are decoded in order (FFmpeg's frame threads on the CPU pool's core budget),
//! converted to RGB and scaled so that the longer side is at most `max_side` by `swscale`
//! ([`super::rgb`]), and sampled: with `fps`, the first frame at or after each multiple of
//! `1 / fps` seconds; with `keyframes_only`, the decoder skips every other frame (no full
//! decode).
//!
//! Seeking: when the next sample time lies more than one and a half keyframe intervals (as
//! seen so far) ahead, the reader seeks to the last keyframe before it instead of decoding
//! the frames between: sampling one frame a minute decodes a few frames a minute.
//! [`FrameReader::frame_at`] seeks the same way to one frame.
//!
//! Damage: a read or decode error, or a container that promised more frames than could be
//! read (a truncated MP4), ends the reader with an error after the frames before it.

use std::path::Path;

use ffmpeg::codec::threading;
use ffmpeg::{Discard, Packet, Rational, codec, decoder, format, frame, media};
use ffmpeg_next as ffmpeg;
use image::RgbImage;

use super::rgb::{Scaler, to_rgb};

/// How frames are chosen and sized.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameOptions {
    /// Frames per second to keep; None keeps every frame.
    pub fps: Option<f64>,
    /// Scale frames down so that their longer side is at most this many pixels.
    pub max_side: Option<u32>,
    /// Decode keyframes only.
    pub keyframes_only: bool,
}

/// One decoded frame.
#[derive(Debug)]
pub struct VideoFrame {
    /// The frame's position among the video's frames, from 0 (for keyframes decoded alone,
    /// from its time and the average frame rate).
    pub index: i64,
    /// Presentation time from the start of the video, seconds.
    pub timestamp_s: f64,
    pub is_keyframe: bool,
    pub image: RgbImage,
}

/// Pulls the sampled frames of one video file.
pub struct FrameReader {
    input: format::context::Input,
    decoder: decoder::Video,
    stream: usize,
    time_base: Rational,
    start: i64,
    /// Average frames per second (0 when unknown).
    frame_rate: f64,
    /// Frames the container says the stream has (0 when it does not say).
    expected_packets: i64,
    packets: i64,
    decoded: i64,
    /// Index of the next sample time (`next_sample / fps` seconds).
    next_sample: i64,
    /// Time of the last keyframe decoded, and the interval between the last two (seconds).
    last_keyframe_s: Option<f64>,
    keyframe_interval_s: Option<f64>,
    /// The sample time last sought to: each is sought once, so a seek that lands no
    /// further on (the last keyframe is behind) is not repeated.
    sought_sample: Option<i64>,
    /// Whether the reader has sought: frames were skipped, so frame numbers come from
    /// timestamps and truncation from the time read, not from counting packets.
    sought: bool,
    /// Whether the decoder now skips the frames no other frame refers to (see
    /// [`FrameReader::skip_unsampled`]), and whether it ever did (frame numbers then come
    /// from timestamps).
    skipping: bool,
    skipped: bool,
    /// The end of the last video packet read, and the stream's duration (seconds; 0 when
    /// unknown).
    read_until_s: f64,
    duration_s: f64,
    flushed: bool,
    options: FrameOptions,
    frame: frame::Video,
    /// The temporary copy FFmpeg reads, for a video given as bytes (removed on drop).
    _copy: Option<tempfile::NamedTempFile>,
}

fn seconds(r: Rational) -> f64 {
    if r.denominator() == 0 {
        0.0
    } else {
        f64::from(r.numerator()) / f64::from(r.denominator())
    }
}

impl FrameReader {
    /// Opens `path` and its best video stream.
    pub fn open(path: &Path, options: FrameOptions) -> Result<Self, String> {
        super::init();
        let input = format::input(path).map_err(|e| format!("not a readable video: {e}"))?;
        let stream = input
            .streams()
            .best(media::Type::Video)
            .ok_or_else(|| "no video stream".to_string())?;
        let mut context = codec::context::Context::from_parameters(stream.parameters())
            .map_err(|e| format!("video stream: {e}"))?;
        let threads = crate::cores();
        context.set_threading(threading::Config {
            kind: threading::Type::Frame,
            count: threads,
            ..Default::default()
        });
        let mut opening = context.decoder();
        if options.keyframes_only {
            opening.skip_frame(Discard::NonKey);
        }
        let decoder = opening.video().map_err(|e| format!("video codec: {e}"))?;
        Ok(Self {
            stream: stream.index(),
            time_base: stream.time_base(),
            frame_rate: seconds(stream.avg_frame_rate()),
            start: stream.start_time().max(0),
            expected_packets: stream.frames(),
            duration_s: stream.duration().max(0) as f64 * seconds(stream.time_base()),
            packets: 0,
            decoded: 0,
            next_sample: 0,
            last_keyframe_s: None,
            keyframe_interval_s: None,
            sought: false,
            skipping: false,
            skipped: false,
            sought_sample: None,
            read_until_s: 0.0,
            flushed: false,
            options,
            frame: frame::Video::empty(),
            decoder,
            input,
            _copy: None,
        })
    }

    /// Opens a video given as bytes (a temporary copy, removed with the reader).
    pub fn from_bytes(bytes: &[u8], options: FrameOptions) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err("empty file".to_string());
        }
        let copy = temporary_copy(bytes).map_err(|e| format!("writing a temporary copy: {e}"))?;
        let reader = Self::open(copy.path(), options)?;
        Ok(Self {
            _copy: Some(copy),
            ..reader
        })
    }

    /// Pulls frames on the current thread (the reader itself may move between threads
    /// between pulls; the frame converter may not).
    pub fn frames(&mut self) -> Frames<'_> {
        Frames {
            reader: self,
            scaler: None,
        }
    }

    /// The next sampled frame; None at the end of the video; an error (once) where it is
    /// damaged.
    fn next_frame(&mut self, scaler: &mut Option<Scaler>) -> Result<Option<VideoFrame>, String> {
        while self.decode_next()? {
            if let Some(frame) = self.sample(scaler)? {
                return Ok(Some(frame));
            }
        }
        self.finish()
    }

    /// The frame shown at `at_s` seconds from the start: the last frame whose time is not
    /// after it (the first frame for a time before it). Decodes from the keyframe before
    /// `at_s` only. A time past the end, or in a damaged part, is an error.
    pub fn frame_at(&mut self, at_s: f64) -> Result<VideoFrame, String> {
        if !at_s.is_finite() || at_s < 0.0 {
            return Err(format!("timestamp_s must be 0 or more, got {at_s}"));
        }
        if self.duration_s > 0.0 && at_s >= self.duration_s {
            return Err(format!(
                "timestamp_s {at_s} is past the end of the video ({:.2} s)",
                self.duration_s
            ));
        }
        self.seek_before(at_s)?;
        let mut shown: Option<(frame::Video, f64)> = None;
        let mut ended = true;
        while self.decode_next()? {
            let time = self.frame_time();
            if time > at_s + 1e-6 && shown.is_some() {
                ended = false;
                break;
            }
            shown = Some((self.frame.clone(), time));
            if time > at_s + 1e-6 {
                ended = false;
                break;
            }
        }
        if ended {
            // The last frame is shown only if the video is whole up to its end.
            self.finish()?;
        }
        let Some((frame, timestamp_s)) = shown else {
            return Err(format!("no frame at {at_s} s"));
        };
        self.frame = frame;
        let image = to_rgb(
            &self.frame,
            self.decoded - 1,
            self.options.max_side,
            &mut None,
        )?;
        Ok(VideoFrame {
            index: (timestamp_s * self.frame_rate).round() as i64,
            timestamp_s,
            is_keyframe: self.frame.is_key(),
            image,
        })
    }

    /// Decodes the next frame into `self.frame`; false at the end of the stream.
    fn decode_next(&mut self) -> Result<bool, String> {
        loop {
            match self.decoder.receive_frame(&mut self.frame) {
                Ok(()) => {
                    self.decoded += 1;
                    return Ok(true);
                }
                Err(ffmpeg::Error::Eof) => return Ok(false),
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::util::error::EAGAIN => {}
                Err(e) => return Err(format!("decoding frame {}: {e}", self.decoded)),
            }
            if self.flushed {
                return Ok(false);
            }
            self.feed()?;
        }
    }

    /// Reads the next packet of the video stream into the decoder, or flushes it at the end.
    fn feed(&mut self) -> Result<(), String> {
        let mut packet = Packet::empty();
        match packet.read(&mut self.input) {
            Ok(()) if packet.stream() == self.stream => {
                self.packets += 1;
                let at_s = packet
                    .pts()
                    .map(|pts| (pts - self.start) as f64 * seconds(self.time_base));
                if let Some(at_s) = at_s {
                    let length_s = packet.duration().max(0) as f64 * seconds(self.time_base);
                    self.read_until_s = self.read_until_s.max(at_s + length_s);
                }
                if packet.is_corrupt() {
                    return Err(match at_s {
                        // After a seek, packets are not counted from the start.
                        Some(at_s) if self.sought => {
                            format!("the packet at {at_s:.2} s is corrupt")
                        }
                        _ => format!("packet {} is corrupt", self.packets),
                    });
                }
                self.skip_unsampled(at_s);
                self.decoder
                    .send_packet(&packet)
                    .map_err(|e| format!("decoding packet {}: {e}", self.packets))
            }
            Ok(()) => Ok(()),
            Err(ffmpeg::Error::Eof) => {
                self.flushed = true;
                self.decoder
                    .send_eof()
                    .map_err(|e| format!("ending the stream: {e}"))
            }
            Err(e) => Err(format!("reading after frame {}: {e}", self.decoded)),
        }
    }

    /// The end of the stream: an error when the container promised more than was read.
    fn finish(&self) -> Result<Option<VideoFrame>, String> {
        if self.sought {
            // Half a frame short of the stream's duration is the end; more is damage.
            let frame_s = if self.frame_rate > 0.0 {
                1.0 / self.frame_rate
            } else {
                0.0
            };
            if self.duration_s > 0.0 && self.read_until_s + frame_s / 2.0 < self.duration_s {
                return Err(format!(
                    "truncated video: nothing could be read after {:.2} s of {:.2} s",
                    self.read_until_s, self.duration_s
                ));
            }
            return Ok(None);
        }
        if self.expected_packets > 0 && self.packets < self.expected_packets {
            return Err(format!(
                "truncated video: {} of {} frames could be read",
                self.packets, self.expected_packets
            ));
        }
        Ok(None)
    }

    /// The decoded frame's time from the start of the video, seconds.
    fn frame_time(&self) -> f64 {
        match self.frame.timestamp() {
            // Multiply, then divide: 48640 x 1 / 12800 is 3.8, not 3.8000000000000003.
            Some(t) if self.time_base.denominator() != 0 => {
                (t - self.start) as f64 * f64::from(self.time_base.numerator())
                    / f64::from(self.time_base.denominator())
            }
            Some(_) => 0.0,
            None if self.frame_rate > 0.0 => (self.decoded - 1) as f64 / self.frame_rate,
            None => 0.0,
        }
    }

    /// Notes a decoded keyframe's time, learning the interval between keyframes.
    fn note_keyframe(&mut self, timestamp_s: f64) {
        if !self.frame.is_key() {
            return;
        }
        if let Some(last) = self.last_keyframe_s.filter(|last| timestamp_s > *last) {
            self.keyframe_interval_s = Some(timestamp_s - last);
        }
        self.last_keyframe_s = Some(timestamp_s);
    }

    /// Seeks to the last keyframe at or before `at_s` seconds from the start of the video;
    /// the frames from there decode next.
    fn seek_before(&mut self, at_s: f64) -> Result<(), String> {
        let start_s = self.start as f64 * seconds(self.time_base);
        let target = ((start_s + at_s.max(0.0)) * 1_000_000.0) as i64;
        self.input
            .seek(target, ..target)
            .map_err(|e| format!("seeking to {at_s} s: {e}"))?;
        self.decoder.flush();
        self.flushed = false;
        self.sought = true;
        // What is read from here on says where the data ends.
        self.read_until_s = at_s;
        self.last_keyframe_s = None;
        Ok(())
    }

    /// With `fps`, a frame shown before the next sample time is never sampled: while the
    /// packets read lie before it, the decoder skips the frames no other frame refers to
    /// (most encoders' B-frames), which need not be decoded at all. The frame sampled is the
    /// one a full decode gives: it lies at or after the sample time, where nothing is skipped.
    fn skip_unsampled(&mut self, at_s: Option<f64>) {
        let Some(fps) = self.options.fps else {
            return;
        };
        if self.options.keyframes_only {
            return;
        }
        let before_sample = at_s.is_some_and(|t| t * fps + 1e-6 < self.next_sample as f64);
        if before_sample != self.skipping {
            self.decoder.skip_frame(if before_sample {
                Discard::NonReference
            } else {
                Discard::Default
            });
            self.skipping = before_sample;
            self.skipped |= before_sample;
        }
    }

    /// After keeping a frame at `timestamp_s`: seeks ahead when the next sample is more than
    /// one and a half keyframe intervals away (a keyframe surely lies between).
    fn skip_to_next_sample(&mut self, timestamp_s: f64) -> Result<(), String> {
        let (Some(fps), Some(interval)) = (self.options.fps, self.keyframe_interval_s) else {
            return Ok(());
        };
        if self.options.keyframes_only || interval <= 0.0 {
            return Ok(());
        }
        let next_s = self.next_sample as f64 / fps;
        let sought_already = self.sought_sample == Some(self.next_sample);
        // Past the end there is nothing to seek to: the rest is read through (and checked).
        let past_end = self.duration_s > 0.0 && next_s >= self.duration_s;
        if next_s - timestamp_s > 1.5 * interval && !sought_already && !past_end {
            self.sought_sample = Some(self.next_sample);
            self.seek_before(next_s)?;
        }
        Ok(())
    }

    /// The decoded frame when the sampling keeps it, converted and scaled.
    fn sample(&mut self, scaler: &mut Option<Scaler>) -> Result<Option<VideoFrame>, String> {
        let timestamp_s = self.frame_time();
        self.note_keyframe(timestamp_s);
        // Skipped frames are not counted: a frame's number then comes from its time.
        let from_time = self.options.keyframes_only || self.sought || self.skipped;
        let index = if from_time && self.frame_rate > 0.0 {
            (timestamp_s * self.frame_rate).round() as i64
        } else {
            self.decoded - 1
        };
        if let Some(fps) = self.options.fps {
            if timestamp_s * fps + 1e-6 < self.next_sample as f64 {
                if self.frame.is_key() {
                    // The first keyframes tell the interval: seek as soon as it is known.
                    self.skip_to_next_sample(timestamp_s)?;
                }
                return Ok(None);
            }
            self.next_sample = (timestamp_s * fps + 1e-6).floor() as i64 + 1;
        }
        let image = to_rgb(&self.frame, self.decoded - 1, self.options.max_side, scaler)?;
        let is_keyframe = self.frame.is_key();
        self.skip_to_next_sample(timestamp_s)?;
        Ok(Some(VideoFrame {
            index,
            timestamp_s,
            is_keyframe,
            image,
        }))
    }
}

fn temporary_copy(bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("mediasql-video-")
        .tempfile()?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(file)
}

/// A run of frames pulled on one thread (see [`FrameReader::frames`]).
pub struct Frames<'a> {
    reader: &'a mut FrameReader,
    scaler: Option<Scaler>,
}

impl Frames<'_> {
    /// The next sampled frame; None at the end of the video; an error (once) where it is
    /// damaged.
    pub fn next_frame(&mut self) -> Result<Option<VideoFrame>, String> {
        self.reader.next_frame(&mut self.scaler)
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
