//! Video facts from an MP4/MOV container's `moov` box, without decoding: duration, display
//! size, codec, frame count and rate of the first video track.
//!
//! The `moov` box is at the start of "faststart" files (within the probe's header read) or
//! after the media data; [`moov_range`] says where to read it then. Other containers (MKV,
//! WebM, AVI) leave the fields NULL.

/// What the container says about its first video track.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub duration_s: Option<f64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub fps: Option<f64>,
    pub codec: Option<String>,
    pub frames: Option<i64>,
}

/// The `moov` box's payload is read whole to parse it, up to this size.
pub const MAX_MOOV_BYTES: u64 = 8 * 1024 * 1024;

/// A box: its type, and where its payload lies in `data`.
struct Mp4Box<'a> {
    kind: [u8; 4],
    payload: &'a [u8],
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// A box header at `at`: (type, header length, total size; None when it runs to the end).
fn box_header(data: &[u8], at: usize) -> Option<([u8; 4], usize, Option<u64>)> {
    let size = be_u32(data, at)?;
    let kind: [u8; 4] = data.get(at + 4..at + 8)?.try_into().ok()?;
    match size {
        0 => Some((kind, 8, None)),
        1 => Some((kind, 16, Some(be_u64(data, at + 8)?))),
        n => Some((kind, 8, Some(u64::from(n)))),
    }
}

/// The boxes directly inside `data` (whole boxes only).
fn children(data: &[u8]) -> impl Iterator<Item = Mp4Box<'_>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let (kind, header, size) = box_header(data, at)?;
        let end = match size {
            Some(size) => at.checked_add(usize::try_from(size).ok()?)?,
            None => data.len(),
        };
        let payload = data.get(at + header..end)?;
        at = end;
        Some(Mp4Box { kind, payload })
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(data).find(|b| &b.kind == kind).map(|b| b.payload)
}

/// Whether `header` starts like an ISO base media file (MP4, MOV, M4V).
fn is_mp4(header: &[u8]) -> bool {
    matches!(
        header.get(4..8),
        Some(b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free")
    )
}

/// Where the `moov` box lies when `header` (the file's first bytes) does not hold it whole:
/// `(start, len)` to read, the box itself or, past a large media data box, the bytes after it.
pub fn moov_range(header: &[u8], file_size: u64) -> Option<(u64, u64)> {
    if !is_mp4(header) {
        return None;
    }
    let mut at = 0u64;
    while at < file_size {
        let Ok(offset) = usize::try_from(at) else {
            return None;
        };
        let Some((kind, _, size)) = box_header(header, offset) else {
            // The next box header lies past what was read: read from there.
            return Some((at, MAX_MOOV_BYTES.min(file_size - at)));
        };
        let size = size.unwrap_or(file_size - at);
        if &kind == b"moov" {
            let whole = at + size <= header.len() as u64;
            return (!whole).then_some((at, size.min(MAX_MOOV_BYTES)));
        }
        if size < 8 {
            return None;
        }
        at += size;
    }
    None
}

/// The facts of the first video track in `data`, bytes that hold the `moov` box (the file's
/// header, or the range [`moov_range`] gave).
pub fn parse(data: &[u8]) -> Option<VideoInfo> {
    let moov = children(data).find(|b| &b.kind == b"moov")?.payload;
    let movie_duration = child(moov, b"mvhd").and_then(header_duration);
    let track = children(moov)
        .filter(|b| &b.kind == b"trak")
        .find(|t| handler(t.payload).as_ref() == Some(b"vide"))?
        .payload;
    let mdia = child(track, b"mdia")?;
    let duration_s = child(mdia, b"mdhd")
        .and_then(header_duration)
        .or(movie_duration);
    let stbl = child(child(mdia, b"minf")?, b"stbl")?;
    let frames = child(stbl, b"stts").and_then(sample_count);
    let (width, height) = child(track, b"tkhd").map_or((None, None), display_size);
    let fps = match (frames, duration_s) {
        (Some(n), Some(d)) if d > 0.0 => Some(n as f64 / d),
        _ => None,
    };
    Some(VideoInfo {
        duration_s,
        width,
        height,
        fps,
        codec: child(stbl, b"stsd").and_then(codec),
        frames,
    })
}

/// `mvhd`/`mdhd`: duration / timescale, seconds.
fn header_duration(payload: &[u8]) -> Option<f64> {
    let (timescale, duration) = match payload.first()? {
        1 => (be_u32(payload, 20)?, be_u64(payload, 24)?),
        _ => (be_u32(payload, 12)?, u64::from(be_u32(payload, 16)?)),
    };
    (timescale > 0 && duration != u64::from(u32::MAX))
        .then(|| duration as f64 / f64::from(timescale))
}

/// `mdia/hdlr`'s handler type (`vide`, `soun`...).
fn handler(track: &[u8]) -> Option<[u8; 4]> {
    let hdlr = child(child(track, b"mdia")?, b"hdlr")?;
    hdlr.get(8..12)?.try_into().ok()
}

/// `tkhd`: the display width and height (16.16 fixed point), its last 8 bytes.
fn display_size(tkhd: &[u8]) -> (Option<i32>, Option<i32>) {
    let at = tkhd.len().saturating_sub(8);
    let side = |at| {
        be_u32(tkhd, at)
            .and_then(|v| i32::try_from(v >> 16).ok())
            .filter(|v| *v > 0)
    };
    (side(at), side(at + 4))
}

/// `stts`: the samples (frames) of the track.
fn sample_count(stts: &[u8]) -> Option<i64> {
    let entries = be_u32(stts, 4)? as usize;
    let mut frames = 0i64;
    for i in 0..entries {
        frames += i64::from(be_u32(stts, 8 + 8 * i)?);
    }
    Some(frames)
}

/// `stsd`'s first entry format as a codec name.
fn codec(stsd: &[u8]) -> Option<String> {
    let format = stsd.get(12..16)?;
    Some(
        match format {
            b"avc1" | b"avc3" => "h264",
            b"hvc1" | b"hev1" => "hevc",
            b"av01" => "av1",
            b"vp09" => "vp9",
            b"vp08" => "vp8",
            b"mp4v" => "mpeg4",
            b"jpeg" | b"mjpa" => "mjpeg",
            other => return Some(String::from_utf8_lossy(other).trim().to_string()),
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sql-tests/fixtures/video/scenes.mp4"
        ))
        .unwrap()
    }

    #[test]
    fn reads_the_fixture_video_facts() {
        let info = parse(&fixture()[..64 * 1024]).unwrap();
        assert_eq!(info.duration_s, Some(4.0));
        assert_eq!((info.width, info.height), (Some(480), Some(320)));
        assert_eq!(info.frames, Some(100));
        assert_eq!(info.fps, Some(25.0));
        assert_eq!(info.codec.as_deref(), Some("h264"));
    }

    #[test]
    fn finds_a_moov_box_after_the_media_data() {
        // ftyp, then a large mdat, then moov: the header shows only where mdat ends.
        let mut file = Vec::new();
        file.extend_from_slice(&16u32.to_be_bytes());
        file.extend_from_slice(b"ftypisom\0\0\0\0");
        file.extend_from_slice(&100_008u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.resize(file.len() + 100_000, 0);
        assert_eq!(moov_range(&file[..1024], 200_000), Some((100_024, 99_976)));
        assert_eq!(moov_range(b"not a video at all", 18), None);
    }
}
