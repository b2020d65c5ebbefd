//! `SELECT transcribe(content) FROM read_media(...)` against whisper-rs called directly on the
//! same files and model (whisper tiny.en, greedy, every core), in one run.
//!
//! N copies of the fixture clips, WAV and MP3 (`MEDIASQL_BENCH_CLIPS`, default 8).
//! `cargo bench --profile dev --bench transcribe`. The direct side decodes with the same
//! decoder, then transcribes file after file with one state using every core, as
//! whisper.cpp's CLI does.

// A bench is a harness: failing fast on setup errors is what we want.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use mediasql::Engine;
use mediasql::config::Config;
use mediasql_udfs::audio::decode::{SPEECH_RATE, decode_mono};
use mediasql_udfs::models::default_models_dir;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

fn main() {
    let count: usize = std::env::var("MEDIASQL_BENCH_CLIPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures/audio");
    let dir = std::env::temp_dir().join(format!("mediasql-bench-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mut files = Vec::new();
    for i in 0..count {
        let name = if i % 2 == 0 {
            "harbor.wav"
        } else {
            "harbor.mp3"
        };
        let target = dir.join(format!("{i:03}-{name}"));
        std::fs::copy(fixtures.join(name), &target).expect("copy clip");
        files.push(target);
    }

    // whisper.cpp alone (through whisper-rs, the same build): one context, and either one
    // state using every core, file after file (as whisper.cpp's CLI does), or one state per
    // core with one thread each. The faster is the baseline.
    whisper_rs::install_logging_hooks();
    let model = default_models_dir().join("whisper-tiny.en/ggml-tiny.en.bin");
    let context = WhisperContext::new_with_params(&model, WhisperContextParameters::default())
        .expect("model");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let transcribe_files = |files: &[PathBuf], threads: usize| {
        transcribe_with(&context, files, threads);
    };
    let start = Instant::now();
    transcribe_files(&files, cores);
    let one_state = start.elapsed().as_secs_f64();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for part in files.chunks(files.len().div_ceil(cores).max(1)) {
            scope.spawn(|| transcribe_files(part, 1));
        }
    });
    let per_core = start.elapsed().as_secs_f64();
    println!(
        "  whisper.cpp alone: one state x {cores} threads {:.2} clips/s, {cores} states x 1 thread {:.2} clips/s",
        count as f64 / one_state,
        count as f64 / per_core
    );

    // whisper.cpp's flash attention (whisper-rs 0.16 leaves it off; mediasql turns it on):
    // the same one-state run with it on. The baseline is the fastest of the three.
    let mut flash_params = WhisperContextParameters::default();
    flash_params.flash_attn(true);
    let flash = WhisperContext::new_with_params(&model, flash_params).expect("model");
    let start = Instant::now();
    transcribe_with(&flash, &files, cores);
    let with_flash = start.elapsed().as_secs_f64();
    println!(
        "  whisper.cpp alone, flash attention on: one state x {cores} threads {:.2} clips/s",
        count as f64 / with_flash
    );
    let direct = one_state.min(per_core).min(with_flash);

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let engine = || Engine::new(&Config::default()).expect("engine");
    let sql = format!(
        "SELECT transcribe(content) FROM read_media('{}', 'audio')",
        dir.display()
    );
    let timings = common::time_pipeline(&runtime, engine, &sql, count);
    println!(
        "transcribe bench: {count} clips of 3.3 s (WAV and MP3), whisper tiny.en; whisper.cpp alone: \
         one state, every core, file after file, decoding included"
    );
    common::report("clips", count, direct, &timings);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Transcribes `files` one after another with one state of `context` using `threads`
/// threads, decoding each with mediasql's decoder.
fn transcribe_with(context: &WhisperContext, files: &[PathBuf], threads: usize) {
    let mut state = context.create_state().expect("state");
    for file in files {
        let samples =
            decode_mono(&std::fs::read(file).expect("read"), SPEECH_RATE).expect("decode");
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(threads as i32);
        params.set_language(Some("en"));
        params.set_print_progress(false);
        params.set_print_realtime(false);
        state.full(params, &samples.samples).expect("transcribe");
    }
}
