//! Object detection over video frames, in one run: FFmpeg decoding alone (`video_frames`),
//! decoding + `detect_objects` (YOLOX-nano) through SQL, and the model alone on pre-made
//! tensors of the same frames (the limit). The ratio pipeline / model alone is the share of
//! time spent in the model.
//!
//! The video: the fixture (`sql-tests/fixtures/video/scenes.mp4`, 4 s, 480x320, 25 fps)
//! looped `MEDIASQL_BENCH_LOOPS` times (default 10) with the ffmpeg command; frames sampled
//! at 5 per second. `cargo bench --profile dev --bench detect`. Peak memory by video length:
//! `benches/video_rss.sh`.

// A bench is a harness: failing fast on setup errors is what we want.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use image::DynamicImage;
use mediasql::Engine;
use mediasql::config::Config;
use mediasql_udfs::models::{ModelRegistry, default_models_dir};
use mediasql_udfs::video::decode::{FrameOptions, FrameReader};
use mediasql_udfs::vision::preprocess::letterbox_into;

const FPS: f64 = 5.0;

/// The fixture looped `loops` times (stream copy: no re-encoding).
pub fn looped_video(dir: &Path, loops: usize) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures/video/scenes.mp4");
    std::fs::create_dir_all(dir).expect("bench dir");
    let out = dir.join(format!("scenes_x{loops}.mp4"));
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-stream_loop"])
        .arg((loops - 1).to_string())
        .arg("-i")
        .arg(&fixture)
        .args(["-c", "copy", "-movflags", "+faststart"])
        .arg(&out)
        .status()
        .expect("the ffmpeg command (apt install ffmpeg)");
    assert!(status.success(), "ffmpeg failed");
    out
}

fn main() {
    let loops: usize = std::env::var("MEDIASQL_BENCH_LOOPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("mediasql-detect-{}", std::process::id()));
    let video = looped_video(&dir, loops);
    let location = video.to_string_lossy().to_string();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");

    // Decoding alone: every frame, and sampled.
    let engine = Engine::new(&Config::default()).expect("engine");
    let time_sql = |sql: &str| {
        let start = Instant::now();
        let rows = runtime.block_on(common::count_rows(&engine, sql));
        (rows, start.elapsed().as_secs_f64())
    };
    let (all_frames, all_secs) = time_sql(&format!("SELECT frame FROM video_frames('{location}')"));
    let (frames, sampled_secs) = time_sql(&format!(
        "SELECT frame FROM video_frames('{location}', {FPS})"
    ));

    // The model alone: the same sampled frames, letterboxed in advance, batch by batch.
    let registry = ModelRegistry::new(default_models_dir()).expect("registry");
    let detector = registry.detector("yolox_nano").expect("model");
    let spec = &detector.spec;
    let options = FrameOptions {
        fps: Some(FPS),
        ..FrameOptions::default()
    };
    let mut reader = FrameReader::open(&video, options).expect("video");
    let mut images = Vec::new();
    let mut pull = reader.frames();
    while let Some(frame) = pull.next_frame().expect("frame") {
        images.push(DynamicImage::ImageRgb8(frame.image));
    }
    assert_eq!(images.len(), frames);
    let tensors: Vec<(usize, Vec<f32>)> = images
        .chunks(spec.batch_size)
        .map(|chunk| {
            let mut tensor = Vec::new();
            for image in chunk {
                letterbox_into(
                    image,
                    spec.input_size,
                    &spec.channel_order,
                    spec.pad_value,
                    &mut tensor,
                );
            }
            (chunk.len(), tensor)
        })
        .collect();
    let side = i64::from(spec.input_size);
    let run_model = || {
        for (n, tensor) in &tensors {
            let shape = vec![*n as i64, 3, side, side];
            detector
                .session
                .run_f32(&spec.input, shape, tensor.clone(), &[spec.output.as_str()])
                .expect("run");
        }
    };
    run_model(); // warm-up
    let start = Instant::now();
    run_model();
    let model_only = start.elapsed().as_secs_f64();

    // Decoding + detection through SQL.
    let sql = format!(
        "SELECT frame, cardinality(detect_objects(image)) FROM video_frames('{location}', {FPS})"
    );
    let engine = || Engine::new(&Config::default()).expect("engine");
    let timings = common::time_pipeline(&runtime, engine, &sql, frames);

    println!(
        "detect bench: {loops}x the 4 s fixture ({all_frames} frames of 480x320), {frames} \
         frames sampled at {FPS}/s, YOLOX-nano 416x416, batch {}",
        spec.batch_size
    );
    println!(
        "  decode alone: every frame {:.1} frames/s; sampled {:.1} sampled frames/s",
        all_frames as f64 / all_secs,
        frames as f64 / sampled_secs
    );
    common::report("frames", frames, model_only, &timings);
    let _ = std::fs::remove_dir_all(&dir);
}
