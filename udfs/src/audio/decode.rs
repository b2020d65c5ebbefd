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

use super::truncation;

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
/// as silence. So is a file cut short of the length its container declares (see
/// [`truncation`](super::truncation)): it must not pass as a shorter clip.
pub fn decode_native(bytes: &[u8]) -> Result<Audio, String> {
    if bytes.is_empty() {
        return Err("empty file, not audio".to_string());
    }
    let mut copy = bytes.to_vec();
    // An MP4 cut in its sample data is read up to the cut (and then found cut).
    truncation::mend_mp4(&mut copy);
    let stream = MediaSourceStream::new(Box::new(Cursor::new(copy)), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| truncation::unreadable(bytes, &e))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or("no audio track")?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let rate = params.sample_rate.ok_or("unknown sample rate")?;
    let declared = truncation::declared(bytes, &params);
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| format!("unsupported audio codec: {e}"))?;
    let limit = MAX_SECONDS * u64::from(rate);
    let mut samples = Vec::new();
    // Seconds of packets skipped as damaged, and the longest packet (see `truncation`).
    let (mut skipped_s, mut longest_packet_s) = (0.0f64, 0.0f64);
    // A chained stream (a new codec setup): decoding stops at the first link, so what the
    // container declares for the whole is not compared.
    let mut chained = false;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            // How symphonia 0.5 ends every stream, whole or cut: the length check tells.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => {
                chained = true;
                break;
            }
            Err(e) => return Err(format!("reading audio: {e}")),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let packet_s = truncation::seconds_of(packet.dur, &params).unwrap_or(0.0);
        longest_packet_s = longest_packet_s.max(packet_s);
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged packet is skipped, as players do (its data is there: not a cut).
            Err(SymphoniaError::DecodeError(_)) => {
                skipped_s += packet_s;
                continue;
            }
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
    if !chained {
        let present = truncation::Present {
            seconds: samples.len() as f64 / f64::from(rate) + skipped_s,
            longest_packet_s,
        };
        truncation::check(bytes, &declared, present)?;
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

    const WAV: &[u8] = include_bytes!("../../../sql-tests/fixtures/audio/harbor.wav");
    /// MPEG-2 layer III, CBR, with LAME's Info tag.
    const MP3: &[u8] = include_bytes!("../../../sql-tests/fixtures/audio/harbor.mp3");
    /// The first 1.5 s of harbor.wav, encoded by libsndfile 1.2.2 (LAME VBR with a Xing tag,
    /// FLAC, Ogg/Vorbis).
    const VBR_MP3: &[u8] = include_bytes!("testdata/harbor_vbr.mp3");
    const FLAC: &[u8] = include_bytes!("testdata/harbor.flac");
    const OGG: &[u8] = include_bytes!("testdata/harbor.ogg");
    /// AAC audio beside H.264 video, `moov` before `mdat`.
    const MP4: &[u8] = include_bytes!("../../../sql-tests/fixtures/video/talk.mp4");

    /// The seconds present and declared in a `truncated audio: X s of the Y s its F header
    /// declares (N bytes)` error, checking the rest of it.
    fn cut_seconds(error: &str, format: &str, bytes: usize) -> (f64, f64) {
        let rest = error
            .strip_prefix("truncated audio: ")
            .unwrap_or_else(|| panic!("{error}"));
        let suffix = format!(" s its {format} header declares ({bytes} bytes)");
        let rest = rest
            .strip_suffix(&suffix)
            .unwrap_or_else(|| panic!("{error}"));
        let (present, declared) = rest.split_once(" s of the ").unwrap();
        (present.parse().unwrap(), declared.parse().unwrap())
    }

    #[test]
    fn whole_files_decode_to_the_length_their_headers_declare() {
        for (format, whole, seconds) in [
            ("WAV", WAV, 3.31),
            ("MP3", MP3, 3.42),
            ("MP3", VBR_MP3, 1.58),
            ("FLAC", FLAC, 1.5),
            ("Ogg", OGG, 1.51),
            ("MP4", MP4, 3.39),
        ] {
            let audio = decode_native(whole).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert!(
                (audio.duration_s() - seconds).abs() < 0.01,
                "{format}: {audio:?}"
            );
        }
    }

    #[test]
    fn cut_files_are_errors_that_say_how_much_was_there() {
        // The case: the first 3,000 bytes of an MP3 with an Info header.
        let error = decode_native(&MP3[..3000]).unwrap_err();
        assert_eq!(
            error,
            "truncated audio: 0.32 s of the 3.42 s its MP3 header declares (3000 bytes)"
        );
        for (format, whole) in [
            ("WAV", WAV),
            ("MP3", MP3),
            ("MP3", VBR_MP3),
            ("FLAC", FLAC),
            ("MP4", MP4),
        ] {
            let length = decode_native(whole).unwrap().duration_s();
            // Half, and a tenth off the end (over 0.15 s in each).
            for cut in [whole.len() / 2, whole.len() * 9 / 10] {
                let error = decode_native(&whole[..cut]).unwrap_err();
                let (present, declared) = cut_seconds(&error, format, cut);
                // An MP4 declares its stts total (3.377 s), its last AAC frame decodes whole.
                assert!((declared - length).abs() < 0.02, "{format} {cut}: {error}");
                assert!(present + 0.05 < declared, "{format} {cut}: {error}");
            }
        }
        // A FLAC frame is lost whole: one byte off the end is its last 0.22 s.
        let error = decode_native(&FLAC[..FLAC.len() - 1]).unwrap_err();
        assert_eq!(cut_seconds(&error, "FLAC", FLAC.len() - 1), (1.28, 1.5));
        // Ogg: the last page, which declares the length, is what a cut loses; the stream
        // stops before its end-of-stream page.
        for cut in [OGG.len() * 9 / 10, OGG.len() - 1] {
            let error = decode_native(&OGG[..cut]).unwrap_err();
            assert!(
                error.starts_with("truncated audio: the Ogg stream stops after ")
                    && error.ends_with(&format!(" s, before its last page ({cut} bytes)")),
                "{error}"
            );
        }
        // Cut before the first audio packet could be read.
        let error = decode_native(&OGG[..3000]).unwrap_err();
        assert_eq!(
            error,
            "truncated audio: the file ends before its first audio could be read (3000 bytes)"
        );
    }

    #[test]
    fn cuts_within_the_tolerance_and_undeclared_lengths_pass() {
        // 40 ms off a WAV (under 50 ms): the rest decodes.
        let cut = WAV.len() - 1280;
        let audio = decode_native(&WAV[..cut]).unwrap();
        assert!(
            (audio.duration_s() - 3.27).abs() < 0.01,
            "{}",
            audio.duration_s()
        );
        // An MP3 without its Info tag frame declares nothing (symphonia's length is then an
        // estimate from the file size): half of it is half the audio, not an error.
        let second = 1 + MP3[1..].windows(2).position(|w| w == [0xFF, 0xF3]).unwrap();
        let untagged = &MP3[second..];
        let half = decode_native(&untagged[..untagged.len() / 2]).unwrap();
        assert!(
            (half.duration_s() - 1.7).abs() < 0.1,
            "{}",
            half.duration_s()
        );
        // A WAV streamed to a pipe: its data size is a placeholder.
        let mut streamed = WAV.to_vec();
        let data = streamed.windows(4).position(|w| w == b"data").unwrap();
        streamed[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        streamed[data + 4..data + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        let audio = decode_native(&streamed[..WAV.len() / 2]).unwrap();
        assert!(
            (audio.duration_s() - 1.66).abs() < 0.01,
            "{}",
            audio.duration_s()
        );
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
