//! `SELECT classify(content) FROM read_media(...)` against the model alone on pre-made
//! tensors (same ONNX session, same batch size), in one run: cold (a new engine, model load
//! inside the time), warm, and with the inference operator off. The ratio pipeline / model
//! alone is the share of time spent in the model: the goal is 0.9 and more.
//!
//! N photos (~500x375 JPEGs made from the fixtures, `MEDIASQL_BENCH_IMAGES`, default 256).
//! `cargo bench --profile dev --bench classify` (image decoding and preprocessing are built
//! optimised in the dev profile; ONNX Runtime is a native library).

// A bench is a harness: failing fast on setup errors is what we want.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::imageops::FilterType;
use mediasql::Engine;
use mediasql::config::Config;
use mediasql_udfs::image::decode::{DEFAULT_MAX_PIXELS, decode_for_size};
use mediasql_udfs::models::{ModelRegistry, default_models_dir};
use mediasql_udfs::vision::preprocess::preprocess_into;

fn make_images(dir: &Path, count: usize) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures/images");
    let sources: Vec<image::DynamicImage> = ["chelsea.jpg", "coffee.jpg", "astronaut.jpg"]
        .iter()
        .map(|n| image::open(fixtures.join(n)).expect("fixture"))
        .collect();
    let root = dir.join("images");
    std::fs::create_dir_all(&root).expect("bench dir");
    for i in 0..count {
        let source = &sources[i % sources.len()];
        // Vary the crop a little so every file is different.
        let cropped = source.crop_imm((i % 7) as u32, (i % 5) as u32, 400, 280);
        let photo = cropped.resize_exact(500, 375, FilterType::Triangle);
        photo
            .save_with_format(root.join(format!("{i:05}.jpg")), image::ImageFormat::Jpeg)
            .expect("write jpeg");
    }
    root
}

fn main() {
    let count: usize = std::env::var("MEDIASQL_BENCH_IMAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let dir = std::env::temp_dir().join(format!("mediasql-classify-{}", std::process::id()));
    let root = make_images(&dir, count);

    // Model only: the same session, pre-made tensors in the model's batch size.
    let registry = ModelRegistry::new(default_models_dir()).expect("registry");
    let model = registry.image_model("efficientnet_lite0").expect("model");
    let spec = &model.spec;
    let batch = spec.batch_size;
    let mut tensors = Vec::new();
    let paths: Vec<PathBuf> = (0..count)
        .map(|i| root.join(format!("{i:05}.jpg")))
        .collect();
    for chunk in paths.chunks(batch) {
        let mut tensor = Vec::new();
        for path in chunk {
            preprocess_into(&image::open(path).expect("decode"), spec, &mut tensor);
        }
        tensors.push((chunk.len(), tensor));
    }
    let size = i64::from(spec.input_size);
    let run_model = || {
        for (n, tensor) in &tensors {
            let shape = vec![*n as i64, 3, size, size];
            model
                .session
                .run_f32(&spec.input, shape, tensor.clone(), &[spec.logits.as_str()])
                .expect("run");
        }
    };
    run_model(); // warm-up
    let start = Instant::now();
    run_model();
    let model_only = start.elapsed().as_secs_f64();

    // The SQL pipeline: list, read, decode, preprocess, run, top-1.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sql = format!(
        "SELECT path, classify(content) FROM read_media('{}')",
        root.to_string_lossy()
    );
    let engine = || Engine::new(&Config::default()).expect("engine");
    let timings = common::time_pipeline(&runtime, engine, &sql, count);

    // Decode + preprocess alone, on one thread.
    let start = Instant::now();
    let mut decode_secs = 0.0;
    for path in &paths {
        let bytes = std::fs::read(path).expect("read");
        let t = Instant::now();
        let image = image::load_from_memory(&bytes).expect("decode");
        decode_secs += t.elapsed().as_secs_f64();
        let mut tensor = Vec::new();
        preprocess_into(&image, spec, &mut tensor);
    }
    let prepare = start.elapsed().as_secs_f64();

    println!(
        "classify bench: {count} JPEGs 500x375, batch {batch}, model alone on pre-made tensors"
    );
    println!(
        "  decode: {:.2} ms/image, decode + preprocess: {:.2} ms/image (one thread)",
        decode_secs * 1000.0 / count as f64,
        prepare * 1000.0 / count as f64
    );
    common::report("images", count, model_only, &timings);
    large_photo_decode(2 * spec.resize_shorter.unwrap_or(spec.input_size));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 12-megapixel camera photo (4032x3024): decoded in full, and at the DCT scale the
/// model's input allows (what classify and embed_image do).
fn large_photo_decode(min_shorter: u32) {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures/images/coffee.jpg");
    let photo =
        image::open(fixture)
            .expect("fixture")
            .resize_exact(4032, 3024, FilterType::Triangle);
    let mut jpeg = Vec::new();
    photo
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("encode");
    let runs = 10;
    let time = |f: &dyn Fn() -> image::DynamicImage| {
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(f());
        }
        start.elapsed().as_secs_f64() * 1000.0 / runs as f64
    };
    let full = time(&|| image::load_from_memory(&jpeg).expect("decode"));
    let scaled = time(&|| decode_for_size(&jpeg, min_shorter, DEFAULT_MAX_PIXELS).expect("decode"));
    println!("  4032x3024 JPEG: full decode {full:.1} ms, DCT-scaled for the model {scaled:.1} ms");
}
