//! Audio facts from container headers: WAV (RIFF), MP3 (MPEG audio frames, Xing/Info or
//! constant bit rate), FLAC (STREAMINFO) and Ogg (Vorbis/Opus identification headers).
//! No sample is decoded; durations of CBR MP3s are estimated from the file size.

/// Facts found in an audio header.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioHeader {
    pub duration_s: Option<f64>,
    pub sample_rate: Option<i32>,
    pub channels: Option<i32>,
    pub codec: String,
}

/// Parses the header of a file of `file_size` bytes.
pub fn parse(header: &[u8], file_size: u64) -> Option<AudioHeader> {
    if header.len() >= 12 && &header[0..4] == b"RIFF" && &header[8..12] == b"WAVE" {
        return parse_wav(header, file_size);
    }
    if header.starts_with(b"fLaC") {
        return parse_flac(header);
    }
    if header.starts_with(b"OggS") {
        return parse_ogg(header);
    }
    if let Some(end) = id3_end(header) {
        let end = usize::try_from(end).ok()?;
        let rest = header.get(end..)?;
        return parse_mpeg_frames(rest, file_size.saturating_sub(end as u64));
    }
    parse_mpeg_frames(header, file_size)
}

/// Where an ID3v2 tag at the start of `header` ends (its size is "syncsafe": 7 bits a byte).
pub fn id3_end(header: &[u8]) -> Option<u64> {
    if header.len() < 10 || !header.starts_with(b"ID3") {
        return None;
    }
    let size = header[6..10]
        .iter()
        .fold(0u64, |acc, b| (acc << 7) | u64::from(b & 0x7f));
    let footer = if header[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn parse_wav(h: &[u8], file_size: u64) -> Option<AudioHeader> {
    let mut at = 12;
    let mut fmt: Option<(u16, u16, u32, u32, u16)> = None;
    while at + 8 <= h.len() {
        let id = &h[at..at + 4];
        let size = u32_le(h, at + 4)? as usize;
        let body = at + 8;
        if id == b"fmt " {
            fmt = Some((
                u16_le(h, body)?,
                u16_le(h, body + 2)?,
                u32_le(h, body + 4)?,
                u32_le(h, body + 8)?,
                u16_le(h, body + 14)?,
            ));
        } else if id == b"data" {
            let (format, channels, rate, byte_rate, bits) = fmt?;
            // Streams written before their length was known carry 0 or u32::MAX here.
            let data = match size as u64 {
                0 | 0xffff_ffff => file_size.saturating_sub(body as u64),
                n => n.min(file_size.saturating_sub(body as u64)),
            };
            let duration = (byte_rate > 0).then(|| data as f64 / f64::from(byte_rate));
            return Some(AudioHeader {
                duration_s: duration,
                sample_rate: i32::try_from(rate).ok(),
                channels: Some(i32::from(channels)),
                codec: wav_codec(format, bits),
            });
        }
        at = body + size + (size & 1);
    }
    None
}

fn wav_codec(format: u16, bits: u16) -> String {
    match (format, bits) {
        (1 | 0xfffe, 8) => "pcm_u8".to_string(),
        (1 | 0xfffe, b) => format!("pcm_s{b}le"),
        (3, b) => format!("pcm_f{b}le"),
        (6, _) => "pcm_alaw".to_string(),
        (7, _) => "pcm_mulaw".to_string(),
        (f, _) => format!("wav_format_{f:#x}"),
    }
}

fn parse_flac(h: &[u8]) -> Option<AudioHeader> {
    // "fLaC", then the first metadata block, which must be STREAMINFO (type 0).
    if h.get(4)? & 0x7f != 0 {
        return None;
    }
    let info = h.get(8..8 + 34)?;
    let rate =
        (u32::from(info[10]) << 12) | (u32::from(info[11]) << 4) | (u32::from(info[12]) >> 4);
    let channels = ((info[12] >> 1) & 0x7) + 1;
    let total = (u64::from(info[13] & 0x0f) << 32) | u64::from(u32_be(info, 14)?);
    let duration = (rate > 0 && total > 0).then(|| total as f64 / f64::from(rate));
    Some(AudioHeader {
        duration_s: duration,
        sample_rate: i32::try_from(rate).ok(),
        channels: Some(i32::from(channels)),
        codec: "flac".to_string(),
    })
}

fn parse_ogg(h: &[u8]) -> Option<AudioHeader> {
    // First page: 27-byte header + segment table, then the identification packet.
    let segments = usize::from(*h.get(26)?);
    let packet = h.get(27 + segments..)?;
    if packet.starts_with(b"\x01vorbis") {
        return Some(AudioHeader {
            duration_s: None,
            sample_rate: i32::try_from(u32_le(packet, 12)?).ok(),
            channels: Some(i32::from(*packet.get(11)?)),
            codec: "vorbis".to_string(),
        });
    }
    if packet.starts_with(b"OpusHead") {
        return Some(AudioHeader {
            duration_s: None,
            sample_rate: Some(48_000),
            channels: Some(i32::from(*packet.get(9)?)),
            codec: "opus".to_string(),
        });
    }
    None
}

/// Whether `header` starts with a valid MPEG audio frame header (a raw MP3/MP2 stream).
pub fn is_mpeg_audio(header: &[u8]) -> bool {
    header.len() >= 4 && header[0] == 0xff && header[1] & 0xe0 == 0xe0 && frame(header).is_some()
}

/// The first MPEG audio frame in `bytes` (audio data of `audio_size` bytes from there on).
pub fn parse_mpeg_frames(bytes: &[u8], audio_size: u64) -> Option<AudioHeader> {
    let start = (0..bytes.len().saturating_sub(4)).take(4096).find(|&i| {
        bytes[i] == 0xff && bytes[i + 1] & 0xe0 == 0xe0 && frame(&bytes[i..]).is_some()
    })?;
    let f = frame(&bytes[start..])?;
    let remaining = audio_size.saturating_sub(start as u64);
    let duration = match xing_frames(&bytes[start..], &f) {
        Some(frames) => f64::from(frames) * f64::from(f.samples) / f64::from(f.rate),
        None => remaining as f64 * 8.0 / f64::from(f.bitrate_kbps * 1000),
    };
    Some(AudioHeader {
        duration_s: Some(duration),
        sample_rate: i32::try_from(f.rate).ok(),
        channels: Some(f.channels),
        codec: f.codec.to_string(),
    })
}

struct Frame {
    mpeg1: bool,
    rate: u32,
    bitrate_kbps: u32,
    channels: i32,
    samples: u32,
    codec: &'static str,
}

fn frame(h: &[u8]) -> Option<Frame> {
    let b1 = *h.get(1)?;
    let b2 = *h.get(2)?;
    let b3 = *h.get(3)?;
    let version = (b1 >> 3) & 0x3; // 0: MPEG2.5, 2: MPEG2, 3: MPEG1
    let layer = (b1 >> 1) & 0x3; // 1: III, 2: II, 3: I
    if version == 1 || layer == 0 {
        return None;
    }
    let mpeg1 = version == 3;
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0x3);
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const V1_L1: [u32; 15] = [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ];
    const V1_L2: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ];
    const V1_L3: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2_L1: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ];
    const V2_L23: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let bitrate = match (mpeg1, layer) {
        (true, 3) => V1_L1,
        (true, 2) => V1_L2,
        (true, _) => V1_L3,
        (false, 3) => V2_L1,
        (false, _) => V2_L23,
    }[bitrate_index];
    let base_rate = [44_100, 48_000, 32_000][rate_index];
    let rate = match version {
        3 => base_rate,
        2 => base_rate / 2,
        _ => base_rate / 4,
    };
    let samples = match (layer, mpeg1) {
        (3, _) => 384,
        (1, false) => 576,
        _ => 1152,
    };
    let codec = match layer {
        3 => "mp1",
        2 => "mp2",
        _ => "mp3",
    };
    let channels = if b3 >> 6 == 3 { 1 } else { 2 };
    Some(Frame {
        mpeg1,
        rate,
        bitrate_kbps: bitrate,
        channels,
        samples,
        codec,
    })
}

/// The frame count of a Xing/Info (VBR) header in the first frame, when present.
fn xing_frames(h: &[u8], f: &Frame) -> Option<u32> {
    let side_info = match (f.mpeg1, f.channels) {
        (true, 1) => 17,
        (true, _) => 32,
        (false, 1) => 9,
        (false, _) => 17,
    };
    let at = 4 + side_info;
    let tag = h.get(at..at + 4)?;
    if tag != b"Xing" && tag != b"Info" {
        return None;
    }
    let flags = u32_be(h, at + 4)?;
    (flags & 1 != 0).then(|| u32_be(h, at + 8)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, bits: u16, data_len: u32) -> Vec<u8> {
        let byte_rate = rate * u32::from(channels) * u32::from(bits / 8);
        let mut w = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        w.extend_from_slice(&1u16.to_le_bytes());
        w.extend_from_slice(&channels.to_le_bytes());
        w.extend_from_slice(&rate.to_le_bytes());
        w.extend_from_slice(&byte_rate.to_le_bytes());
        w.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        w.extend_from_slice(&bits.to_le_bytes());
        w.extend_from_slice(b"data");
        w.extend_from_slice(&data_len.to_le_bytes());
        w
    }

    #[test]
    fn wav_duration_is_data_over_byte_rate() {
        let header = wav(16_000, 1, 16, 64_000);
        let a = parse(&header, header.len() as u64 + 64_000).unwrap();
        assert_eq!(a.duration_s, Some(2.0));
        assert_eq!((a.sample_rate, a.channels), (Some(16_000), Some(1)));
        assert_eq!(a.codec, "pcm_s16le");
    }

    #[test]
    fn cbr_mp3_duration_comes_from_size_and_bitrate() {
        // MPEG1 layer III, 128 kbps, 44.1 kHz, stereo; then padding.
        let mut mp3 = vec![0xff, 0xfb, 0x90, 0x00];
        mp3.resize(2000, 0);
        let a = parse(&mp3, 160_000).unwrap();
        assert_eq!(a.codec, "mp3");
        assert_eq!(a.sample_rate, Some(44_100));
        assert!((a.duration_s.unwrap() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn id3_size_is_syncsafe() {
        let tag = [b'I', b'D', b'3', 4, 0, 0, 0, 0, 0x02, 0x01];
        assert_eq!(id3_end(&tag), Some(10 + 257));
        assert_eq!(parse(b"RIFF", 4), None);
    }
}
