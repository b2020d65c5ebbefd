//! Tests of [`super::FrameReader`] on the fixture video.

use super::*;

#[test]
fn sparse_samples_seek_past_the_frames_between() {
    // 4 s at 25 fps, a keyframe every second; at 0.3 fps the samples are 0 s and 3.33 s.
    let mut reader = open_fixture(Some(0.3));
    let mut frames = reader.frames();
    let mut kept = Vec::new();
    while let Some(frame) = frames.next_frame().unwrap() {
        kept.push((frame.index, frame.timestamp_s));
    }
    assert_eq!(kept, vec![(0, 0.0), (84, 3.36)]);
    // Frames 0..=25 (the second keyframe tells the interval), then 75..=99 after the seek.
    assert!(reader.sought);
    assert!(reader.decoded < 60, "decoded {} frames", reader.decoded);
}

fn open_fixture(fps: Option<f64>) -> FrameReader {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sql-tests/fixtures/video/scenes.mp4"
    );
    let options = FrameOptions {
        fps,
        ..FrameOptions::default()
    };
    FrameReader::open(Path::new(path), options).unwrap()
}

#[test]
fn sampling_skips_unreferenced_frames_and_keeps_the_same_frames() {
    // Every frame decoded, then sampled here: the first at or after each 0.5 s.
    let mut full = open_fixture(None);
    let mut all = full.frames();
    let mut expected = Vec::new();
    let mut next = 0.0;
    while let Some(frame) = all.next_frame().unwrap() {
        if frame.timestamp_s + 1e-6 >= next {
            next += 0.5;
            expected.push((frame.index, frame.timestamp_s, frame.image.into_raw()));
        }
    }
    // At 2 fps (no seeks: a keyframe every second) the decoder skips B-frames between.
    let mut sampled = open_fixture(Some(2.0));
    let mut frames = sampled.frames();
    let mut kept = Vec::new();
    while let Some(frame) = frames.next_frame().unwrap() {
        kept.push((frame.index, frame.timestamp_s, frame.image.into_raw()));
    }
    assert_eq!(kept.len(), expected.len());
    for (k, e) in kept.iter().zip(&expected) {
        assert_eq!((k.0, k.1), (e.0, e.1));
        assert!(k.2 == e.2, "frame {} differs", k.0);
    }
    assert!(!sampled.sought);
    assert!(
        sampled.decoded < full.decoded,
        "decoded {} of {}",
        sampled.decoded,
        full.decoded
    );
}
