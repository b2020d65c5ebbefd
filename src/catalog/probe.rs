//! Header probing: what a file is and its basic facts, from its first bytes only.
//!
//! `mime` is sniffed from magic bytes (never the extension). Images give width, height and
//! format from their headers; audio gives duration, sample rate, channels and codec (WAV, MP3,
//! FLAC, Ogg); videos (MP4, MOV) give duration, size, codec, frames and frame rate from their
//! `moov` box; a PDF's page count needs its body (see [`pdf_pages`]). Anything unreadable or
//! corrupt leaves the fields `None`: probing never fails a query.

use super::{audio_header, video_header};

/// Bytes read from the start of a file to probe it when its body is not needed.
pub const HEADER_BYTES: u64 = 64 * 1024;
/// Bigger window for JPEGs whose EXIF block pushes the frame header past [`HEADER_BYTES`].
pub const JPEG_RETRY_BYTES: u64 = 1024 * 1024;

/// What probing found; every field is optional.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Probe {
    pub mime: Option<String>,
    pub kind: Option<&'static str>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub format: Option<String>,
    pub duration_s: Option<f64>,
    pub sample_rate: Option<i32>,
    pub channels: Option<i32>,
    pub codec: Option<String>,
    pub pages: Option<i32>,
    pub fps: Option<f64>,
    pub frames: Option<i64>,
}

/// More bytes the prober needs before it can answer (a range to read next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedMore {
    pub start: u64,
    pub len: u64,
}

/// Probes `header`, the first bytes of a file of `file_size` bytes.
pub fn probe(header: &[u8], file_size: u64) -> Probe {
    let mut probe = Probe::default();
    if let Some(kind) = infer::get(header) {
        probe.mime = Some(kind.mime_type().to_string());
        probe.kind = Some(media_kind(kind.matcher_type(), kind.mime_type()));
    } else if audio_header::is_mpeg_audio(header) {
        // `infer` knows only MPEG-1 layer III without CRC; MPEG-2/2.5 streams start otherwise.
        probe.mime = Some("audio/mpeg".to_string());
        probe.kind = Some("audio");
    } else {
        return probe;
    }
    match probe.kind {
        Some("image") => probe_image(header, &mut probe),
        Some("audio") => {
            if let Some(audio) = audio_header::parse(header, file_size) {
                probe.duration_s = audio.duration_s;
                probe.sample_rate = audio.sample_rate;
                probe.channels = audio.channels;
                probe.codec = Some(audio.codec);
            }
        }
        Some("video") => probe_video(&mut probe, header),
        _ => {}
    }
    probe
}

/// Whether probing `header` of a `file_size`-byte file would gain from a second read.
pub fn needs_more(header: &[u8], file_size: u64) -> Option<NeedMore> {
    let available = header.len() as u64;
    if available >= file_size {
        return None;
    }
    let video = infer::get(header).is_some_and(|k| k.matcher_type() == infer::MatcherType::Video);
    if let Some((start, len)) = video
        .then(|| video_header::moov_range(header, file_size))
        .flatten()
    {
        return Some(NeedMore { start, len });
    }
    if infer::image::is_jpeg(header) && imagesize::blob_size(header).is_err() {
        return Some(NeedMore {
            start: 0,
            len: JPEG_RETRY_BYTES.min(file_size),
        });
    }
    audio_header::id3_end(header)
        .filter(|end| *end + 4 > available && *end < file_size)
        .map(|end| NeedMore {
            start: end,
            len: 16 * 1024,
        })
}

/// Fills the video fields from `data`, bytes holding the container's `moov` box.
pub fn probe_video(probe: &mut Probe, data: &[u8]) {
    if let Some(video) = video_header::parse(data) {
        probe.duration_s = video.duration_s;
        probe.width = video.width;
        probe.height = video.height;
        probe.fps = video.fps;
        probe.frames = video.frames;
        probe.codec = video.codec;
    }
}

/// Probes an MP3 whose ID3 tag ends at `tag_end`, given the bytes that follow the tag.
pub fn probe_after_id3(probe: &mut Probe, after_tag: &[u8], tag_end: u64, file_size: u64) {
    if let Some(audio) = audio_header::parse_mpeg_frames(after_tag, file_size - tag_end) {
        probe.duration_s = audio.duration_s;
        probe.sample_rate = audio.sample_rate;
        probe.channels = audio.channels;
        probe.codec = Some(audio.codec);
    }
}

fn media_kind(matcher: infer::MatcherType, mime: &str) -> &'static str {
    match matcher {
        infer::MatcherType::Image => "image",
        infer::MatcherType::Audio => "audio",
        infer::MatcherType::Video => "video",
        _ if mime == "application/pdf" => "pdf",
        _ => "other",
    }
}

fn probe_image(header: &[u8], probe: &mut Probe) {
    if let Ok(kind) = imagesize::image_type(header) {
        probe.format = Some(format!("{kind:?}").to_ascii_lowercase());
    }
    if let Ok(size) = imagesize::blob_size(header) {
        probe.width = i32::try_from(size.width).ok();
        probe.height = i32::try_from(size.height).ok();
    }
}

/// The page count of a whole PDF, read from its page tree's root (`/Type /Pages ... /Count N`).
///
/// Header-level parsing: PDFs whose page tree sits in a compressed object stream give `None`
/// (`pdf_text`'s full parser handles those).
pub fn pdf_pages(body: &[u8]) -> Option<i32> {
    if !body.starts_with(b"%PDF") {
        return None;
    }
    let mut best: Option<i32> = None;
    let mut from = 0;
    while let Some(pos) = find(&body[from..], b"/Pages").map(|p| p + from) {
        from = pos + 6;
        // `/Type /Pages` or `/Type/Pages`: the dictionary of a page tree node.
        let before = &body[pos.saturating_sub(8)..pos];
        if !trim_end(before).ends_with(b"/Type") {
            continue;
        }
        let dict_start = rfind(&body[..pos], b"<<").unwrap_or(0);
        let dict_end = find(&body[pos..], b">>").map_or(body.len(), |e| e + pos);
        if let Some(count) = dict_count(&body[dict_start..dict_end]) {
            best = Some(best.map_or(count, |b: i32| b.max(count)));
        }
    }
    best
}

fn dict_count(dict: &[u8]) -> Option<i32> {
    let at = find(dict, b"/Count")? + 6;
    let digits: Vec<u8> = dict[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &bytes[..end]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        png
    }

    #[test]
    fn png_dimensions_come_from_the_header_alone() {
        let p = probe(&png_header(100_000, 100_000), 1 << 20);
        assert_eq!(p.mime.as_deref(), Some("image/png"));
        assert_eq!(p.kind, Some("image"));
        assert_eq!((p.width, p.height), (Some(100_000), Some(100_000)));
        assert_eq!(p.format.as_deref(), Some("png"));
    }

    #[test]
    fn garbage_probes_to_nothing() {
        assert_eq!(probe(b"not media at all", 16), Probe::default());
        // A truncated PNG: sniffed as PNG, but no dimensions.
        let p = probe(&png_header(1, 1)[..12], 12);
        assert_eq!(p.kind, Some("image"));
        assert_eq!(p.width, None);
    }

    #[test]
    fn pdf_page_count_reads_the_page_tree_root() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
                    2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n\
                    3 0 obj << /Type /Page /Parent 2 0 R >> endobj";
        assert_eq!(pdf_pages(pdf), Some(2));
        assert_eq!(pdf_pages(b"%PDF-1.7 truncated"), None);
        assert_eq!(pdf_pages(b"hello"), None);
    }
}
