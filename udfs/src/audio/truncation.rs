//! Cut audio files: a file whose container says how long it is, but whose data stops short
//! of that, is an error (`truncated audio: ...`), as a cut JPEG or MP4 video is, instead of
//! decoding to the part that is there and passing for a short clip.
//!
//! The length a container declares, as symphonia 0.5 reads it into `n_frames` (frames in the
//! track's time base):
//!
//! | container | declared by | trusted |
//! | --- | --- | --- |
//! | WAV | the `data` chunk's size (not when it is 0 or 2^32-1, a streamed WAV) | yes |
//! | FLAC | STREAMINFO's total samples (0 is "unknown": symphonia gives none) | yes |
//! | MP4 / M4A | the track's `mdhd` duration (0 in fragmented files: none) | yes |
//! | MP3 | a Xing/Info or VBRI tag's frame count | only with such a tag: without one, symphonia estimates the length from the file size, which a cut file shrinks with it |
//! | Ogg | the last page's granule position, found only when the last page is there | plus a check of the pages themselves: a stream that stops before its end-of-stream page is cut |
//!
//! Other containers (ADTS AAC, ...) declare nothing and are not checked.
//!
//! Counting: symphonia's readers run with gapless playback off, so a whole file decodes to
//! exactly the frames its header counts, encoder delay and padding included on both sides
//! (an MP3's Xing count is frames x 1152 before LAME's delay and padding are taken off; an
//! AAC track's `mdhd` duration counts the priming frames it decodes). What is present is the
//! decoded frames plus the duration of packets skipped as damaged (there, but unreadable: not
//! cut).
//!
//! Tolerance: 50 ms, or one MPEG frame for an MP3 (26 ms at 44.1 kHz, 72 ms at 8 kHz) where
//! that is longer. Whole files come out exact here (the fixtures of all five containers
//! decode to their declared frame count, to the frame), but the Xing/VBRI count is in MPEG
//! frames and some encoders count the tag frame among them. 50 ms is below anything a
//! listener or a speech model misses, and far below what a cut usually takes; a cut that
//! loses less is not told from a whole file. The slack is not a packet for every codec: a
//! FLAC frame is 4096 samples (a quarter second at 16 kHz), and one byte cut off a FLAC file
//! loses all of its last frame.
//!
//! An end-of-file error while reading packets does not say "cut" by itself: symphonia 0.5
//! ends every stream, whole or not, with an `UnexpectedEof` I/O error.

use symphonia::core::codecs::{CODEC_TYPE_MP1, CODEC_TYPE_MP2, CODEC_TYPE_MP3, CodecParameters};

/// The least a file may lack at its end before it counts as cut, seconds.
pub const MIN_TOLERANCE_S: f64 = 0.05;

/// What a container says about how long its audio track is.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    /// The container, as named in errors ("MP3", "WAV", ...).
    pub format: &'static str,
    /// The track's length in seconds, where the container says it.
    pub seconds: Option<f64>,
    /// An Ogg file, whose pages are checked for their end-of-stream page.
    pub ogg: bool,
    /// The length counts MPEG frames (a Xing/Info or VBRI tag): one frame of slack.
    pub in_mpeg_frames: bool,
}

/// What decoding a file found: seconds decoded (and skipped as damaged), and the longest
/// packet read, seconds (an MPEG frame, for MPEG audio).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Present {
    pub seconds: f64,
    pub longest_packet_s: f64,
}

/// The length `bytes`' container declares for the track of `params`.
pub fn declared(bytes: &[u8], params: &CodecParameters) -> Declared {
    let format = container(bytes, params);
    let trusted = match format {
        "WAV" => !streamed_wav(bytes),
        "FLAC" | "MP4" | "Ogg" => true,
        "MP3" | "MPEG audio" => mpeg_length_tag(bytes),
        _ => false,
    };
    let seconds = params
        .n_frames
        .filter(|n| trusted && *n > 0)
        .and_then(|n| seconds_of(n, params));
    Declared {
        format,
        seconds,
        ogg: format == "Ogg",
        in_mpeg_frames: matches!(format, "MP3" | "MPEG audio"),
    }
}

/// `frames` in the track's time base (its sample rate where it has none), seconds.
pub fn seconds_of(frames: u64, params: &CodecParameters) -> Option<f64> {
    match params.time_base {
        Some(tb) if tb.denom > 0 => Some(frames as f64 * f64::from(tb.numer) / f64::from(tb.denom)),
        _ => params
            .sample_rate
            .filter(|r| *r > 0)
            .map(|r| frames as f64 / f64::from(r)),
    }
}

/// An error when `present` falls short of what `declared` says `bytes` holds.
pub fn check(bytes: &[u8], declared: &Declared, present: Present) -> Result<(), String> {
    let size = bytes.len();
    if declared.ogg && ogg_pages(bytes) == OggPages::Cut {
        return Err(format!(
            "truncated audio: the Ogg stream stops after {:.2} s, before its last page \
             ({size} bytes)",
            present.seconds
        ));
    }
    let Some(length) = declared.seconds else {
        return Ok(());
    };
    let frame_s = if declared.in_mpeg_frames {
        present.longest_packet_s
    } else {
        0.0
    };
    let tolerance = frame_s.max(MIN_TOLERANCE_S);
    if present.seconds + tolerance < length {
        return Err(format!(
            "truncated audio: {:.2} s of the {length:.2} s its {} header declares ({size} bytes)",
            present.seconds, declared.format
        ));
    }
    Ok(())
}

/// The error for a file symphonia could not open: one that ends inside the structure its
/// headers describe (symphonia reads past the end of it) is cut, and says so.
pub fn unreadable(bytes: &[u8], error: &symphonia::core::errors::Error) -> String {
    use symphonia::core::errors::Error;
    match error {
        Error::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => format!(
            "truncated audio: the file ends before its first audio could be read ({} bytes)",
            bytes.len()
        ),
        e => format!("not a readable audio file: {e}"),
    }
}

/// Makes an MP4 cut inside its last top-level box (the `mdat` holding the samples, after a
/// whole `moov`) readable: symphonia refuses a file whose last box runs past its end, so the
/// box's size in `copy` is made to end with the file. The samples that are there then
/// decode, and [`check`] compares them with the length the `moov` declares. True when
/// `copy` was changed.
pub fn mend_mp4(copy: &mut [u8]) -> bool {
    if copy.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let len = copy.len() as u64;
    let (mut at, mut moov) = (0u64, false);
    while at + 8 <= len {
        let i = at as usize;
        let size32 = u32::from_be_bytes([copy[i], copy[i + 1], copy[i + 2], copy[i + 3]]);
        let kind = [copy[i + 4], copy[i + 5], copy[i + 6], copy[i + 7]];
        let size = match size32 {
            // Up to the end of the file.
            0 => return false,
            1 => match copy.get(i + 8..i + 16) {
                Some(s) => u64::from_be_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]),
                None => return false,
            },
            n => u64::from(n),
        };
        if size < 8 {
            return false;
        }
        if at.saturating_add(size) > len {
            if &kind != b"mdat" || !moov {
                return false;
            }
            let rest = len - at;
            match size32 {
                1 => copy[i + 8..i + 16].copy_from_slice(&rest.to_be_bytes()),
                _ => copy[i..i + 4].copy_from_slice(&(rest as u32).to_be_bytes()),
            }
            return true;
        }
        moov |= &kind == b"moov";
        at += size;
    }
    false
}

/// The container of `bytes`, from its first bytes.
fn container(bytes: &[u8], params: &CodecParameters) -> &'static str {
    let body = after_id3v2(bytes);
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        "WAV"
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "MP4"
    } else if bytes.starts_with(b"OggS") {
        "Ogg"
    } else if body.starts_with(b"fLaC") {
        "FLAC"
    } else if mpeg_frame_start(body).is_some()
        && [CODEC_TYPE_MP1, CODEC_TYPE_MP2, CODEC_TYPE_MP3].contains(&params.codec)
    {
        if params.codec == CODEC_TYPE_MP3 {
            "MP3"
        } else {
            "MPEG audio"
        }
    } else {
        "audio"
    }
}

/// `bytes` after an ID3v2 tag at its start (MP3s and some FLACs have one).
fn after_id3v2(bytes: &[u8]) -> &[u8] {
    match bytes {
        [b'I', b'D', b'3', _, _, flags, s0, s1, s2, s3, ..] => {
            let size = [s0, s1, s2, s3]
                .iter()
                .fold(0usize, |size, b| size << 7 | usize::from(**b & 0x7F));
            let footer = if flags & 0x10 != 0 { 10 } else { 0 };
            bytes.get(10 + size + footer..).unwrap_or_default()
        }
        _ => bytes,
    }
}

/// Where the first MPEG audio frame header starts in `bytes`: a sync word with a valid
/// layer, looked for in the first 4 KiB (symphonia skips junk before it too).
fn mpeg_frame_start(bytes: &[u8]) -> Option<usize> {
    let window = &bytes[..bytes.len().min(4096)];
    window
        .windows(2)
        .position(|w| w[0] == 0xFF && w[1] & 0xE0 == 0xE0 && w[1] & 0x06 != 0)
}

/// Whether the first MPEG frame holds a Xing/Info or VBRI tag, where symphonia looks: after
/// the side information (9, 17 or 32 bytes, all zero), or 32 bytes after the header. Without
/// one the length symphonia gives is an estimate from the file's size.
fn mpeg_length_tag(bytes: &[u8]) -> bool {
    let body = after_id3v2(bytes);
    let Some(frame) = mpeg_frame_start(body).and_then(|at| body.get(at..)) else {
        return false;
    };
    let zero_until = |end: usize| frame.get(4..end).is_some_and(|s| s.iter().all(|b| *b == 0));
    let tag_at = |at: usize, ids: &[&[u8; 4]]| {
        frame
            .get(at..at + 4)
            .is_some_and(|id| ids.iter().any(|t| id == *t))
            && zero_until(at)
    };
    [9, 17, 32]
        .iter()
        .any(|side| tag_at(4 + side, &[b"Xing", b"Info"]))
        || tag_at(36, &[b"VBRI"])
}

/// A WAV written to a pipe, whose `data` chunk size is a placeholder (0 or 2^32-1): symphonia
/// takes the placeholder as the length, which is no declaration.
fn streamed_wav(bytes: &[u8]) -> bool {
    let mut at = 12;
    while let Some(header) = bytes.get(at..at + 8) {
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if &header[..4] == b"data" {
            return size == 0 || size == u32::MAX;
        }
        at += 8 + size as usize + (size as usize & 1);
    }
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OggPages {
    /// Every page whole, and every logical stream begun has its end-of-stream page.
    Whole,
    /// A page runs past the end of the file, or a stream has no end-of-stream page.
    Cut,
    /// Something other than pages (junk between them): not judged.
    Unknown,
}

/// Walks the pages of an Ogg file (27-byte header, segment table, body).
fn ogg_pages(bytes: &[u8]) -> OggPages {
    let mut open: Vec<u32> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if !rest.starts_with(b"OggS") {
            // The start of a capture pattern cut off, or something else.
            return match b"OggS".starts_with(rest) {
                true => OggPages::Cut,
                false => OggPages::Unknown,
            };
        }
        let Some(header) = rest.get(..27) else {
            return OggPages::Cut;
        };
        let flags = header[5];
        let serial = u32::from_le_bytes([header[14], header[15], header[16], header[17]]);
        let segments = usize::from(header[26]);
        let Some(table) = bytes.get(at + 27..at + 27 + segments) else {
            return OggPages::Cut;
        };
        let body: usize = table.iter().map(|b| usize::from(*b)).sum();
        let end = at + 27 + segments + body;
        if end > bytes.len() {
            return OggPages::Cut;
        }
        if flags & 0x02 != 0 && !open.contains(&serial) {
            open.push(serial);
        }
        if flags & 0x04 != 0 {
            open.retain(|s| *s != serial);
        }
        at = end;
    }
    if open.is_empty() {
        OggPages::Whole
    } else {
        OggPages::Cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OGG: &[u8] = include_bytes!("testdata/harbor.ogg");

    #[test]
    fn ogg_pages_tell_a_whole_stream_from_a_cut_one() {
        assert_eq!(ogg_pages(OGG), OggPages::Whole);
        // Inside a page, and between two pages (the last page, with its end flag, missing).
        assert_eq!(ogg_pages(&OGG[..OGG.len() / 2]), OggPages::Cut);
        let last = OGG.windows(4).rposition(|w| w == b"OggS").unwrap();
        assert_eq!(ogg_pages(&OGG[..last]), OggPages::Cut);
        assert_eq!(ogg_pages(&OGG[..last + 2]), OggPages::Cut);
        assert_eq!(ogg_pages(b"OggS junk that is not a page"), OggPages::Cut);
        let mut junk = OGG.to_vec();
        junk.extend_from_slice(b"trailing junk");
        assert_eq!(ogg_pages(&junk), OggPages::Unknown);
    }

    #[test]
    fn mpeg_tags_are_found_where_symphonia_reads_them() {
        let cbr = include_bytes!("../../../sql-tests/fixtures/audio/harbor.mp3");
        let vbr = include_bytes!("testdata/harbor_vbr.mp3");
        assert!(mpeg_length_tag(cbr), "Info");
        assert!(mpeg_length_tag(vbr), "Xing");
        // An ID3v2 tag before the frame is skipped.
        let mut tagged = b"ID3\x04\x00\x00\x00\x00\x00\x05hello".to_vec();
        tagged.extend_from_slice(cbr);
        assert!(mpeg_length_tag(&tagged));
        // The tag frame gone: the next frame is audio, no tag.
        let second = 1 + cbr[1..].windows(2).position(|w| w == [0xFF, 0xF3]).unwrap();
        assert!(!mpeg_length_tag(&cbr[second..]));
    }

    #[test]
    fn streamed_wavs_declare_no_length() {
        let wav = include_bytes!("../../../sql-tests/fixtures/audio/harbor.wav");
        assert!(!streamed_wav(wav));
        let mut streamed = wav.to_vec();
        let data = streamed.windows(4).position(|w| w == b"data").unwrap();
        streamed[data + 4..data + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(streamed_wav(&streamed));
    }
}
