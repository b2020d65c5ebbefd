//! Audio bytes → mono f32 samples at a chosen rate: symphonia decodes (WAV, MP3, FLAC,
//! Ogg/Vorbis, AAC/M4A), channels are averaged, rubato's FFT resampler changes the rate.

use std::io::Cursor;

use rubato::{FftFixedIn, Resampler};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The rate speech models take.
pub const SPEECH_RATE: u32 = 16_000;

/// Longest audio decoded, in seconds at the output rate (4 hours: 920 MB of f32 at 16 kHz).
pub const MAX_SECONDS: u64 = 4 * 3600;

/// Decoded audio: mono samples at `rate` Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub samples: Vec<f32>,
    pub rate: u32,
}

impl Audio {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate.max(1))
    }
}

/// `bytes` decoded to mono at its own sample rate. A file that decodes to no samples (empty,
/// or cut short before its first frame) is an error, not empty audio: bad data must not pass
/// as silence.
pub fn decode_native(bytes: &[u8]) -> Result<Audio, String> {
    if bytes.is_empty() {
        return Err("empty file, not audio".to_string());
    }
    let stream = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| format!("not a readable audio file: {e}"))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or("no audio track")?;
    let track_id = track.id;
    let rate = track
        .codec_params
        .sample_rate
        .ok_or("unknown sample rate")?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| format!("unsupported audio codec: {e}"))?;
    let limit = MAX_SECONDS * u64::from(rate);
    let mut samples = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => return Err(format!("reading audio: {e}")),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged packet is skipped, as players do.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(format!("decoding audio: {e}")),
        };
        let channels = decoded.spec().channels.count().max(1);
        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, *decoded.spec());
        buffer.copy_interleaved_ref(decoded);
        samples.extend(
            buffer
                .samples()
                .chunks(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
        if samples.len() as u64 > limit {
            return Err(format!("audio longer than {MAX_SECONDS} seconds"));
        }
    }
    if samples.is_empty() {
        return Err("no audio: the file decodes to no samples (cut short?)".to_string());
    }
    Ok(Audio { samples, rate })
}

/// `bytes` decoded to mono at `rate` Hz.
pub fn decode_mono(bytes: &[u8], rate: u32) -> Result<Audio, String> {
    let audio = decode_native(bytes)?;
    resample(audio, rate)
}

/// `audio` at `rate` Hz (FFT resampler; the output has the input's duration).
pub fn resample(audio: Audio, rate: u32) -> Result<Audio, String> {
    if audio.rate == rate || audio.samples.is_empty() {
        return Ok(Audio {
            samples: audio.samples,
            rate,
        });
    }
    const CHUNK: usize = 1024;
    let err = |e: &dyn std::fmt::Display| format!("resampling {} Hz to {rate} Hz: {e}", audio.rate);
    let mut resampler = FftFixedIn::<f32>::new(audio.rate as usize, rate as usize, CHUNK, 2, 1)
        .map_err(|e| err(&e))?;
    let expected = (audio.samples.len() as u64 * u64::from(rate)).div_ceil(u64::from(audio.rate));
    let delay = resampler.output_delay();
    let mut out = Vec::with_capacity(expected as usize + delay + CHUNK);
    let mut chunks = audio.samples.chunks_exact(CHUNK);
    for chunk in chunks.by_ref() {
        let frames = resampler.process(&[chunk], None).map_err(|e| err(&e))?;
        out.extend_from_slice(&frames[0]);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let frames = resampler
            .process_partial(Some(&[rest]), None)
            .map_err(|e| err(&e))?;
        out.extend_from_slice(&frames[0]);
    }
    // Flush what the resampler's delay still holds.
    while out.len() < expected as usize + delay {
        let frames = resampler
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| err(&e))?;
        if frames[0].is_empty() {
            break;
        }
        out.extend_from_slice(&frames[0]);
    }
    let end = (expected as usize + delay).min(out.len());
    Ok(Audio {
        samples: out.get(delay..end).map(<[f32]>::to_vec).unwrap_or_default(),
        rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_fixtures_to_speech_rate() {
        let wav = include_bytes!("../../../sql-tests/fixtures/audio/harbor.wav");
        let mp3 = include_bytes!("../../../sql-tests/fixtures/audio/harbor.mp3");
        let a = decode_mono(wav, SPEECH_RATE).unwrap();
        let b = decode_mono(mp3, SPEECH_RATE).unwrap();
        assert_eq!(a.rate, SPEECH_RATE);
        assert!((a.duration_s() - 3.3).abs() < 0.5, "{}", a.duration_s());
        // MP3 adds encoder delay and padding (symphonia 0.5 keeps them): a few frames.
        let gap = b.duration_s() - a.duration_s();
        assert!((0.0..0.25).contains(&gap), "{gap}");
        assert!(decode_mono(b"RIFF garbage", SPEECH_RATE).is_err());
        assert!(decode_mono(b"", SPEECH_RATE).is_err());
    }

    #[test]
    fn resampling_keeps_duration_and_pitch() {
        // One second of 440 Hz at 44.1 kHz → 16 kHz.
        let samples = (0..44_100)
            .map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 44_100.0).sin())
            .collect();
        let out = resample(
            Audio {
                samples,
                rate: 44_100,
            },
            SPEECH_RATE,
        )
        .unwrap();
        assert_eq!(out.samples.len(), 16_000);
        // Zero crossings: 2 per period, 440 periods.
        let crossings = out.samples[100..15_900]
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        assert!((crossings as i64 - 862).abs() < 10, "{crossings}");
    }
}
