//! Media scan cost by what a query reads: the listing only (`path, size`), one header per file
//! (`width, height`), or whole bodies (`content`). Over copies of the fixture photos in a
//! temporary directory (`MEDIASQL_BENCH_FILES`, default 2000 files, about 130 MB).
//!
//! `cargo bench --profile dev --bench scan` (the release profile needs a 30-minute build here).

// A bench is a harness: failing fast on setup errors is what we want.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use mediasql::Engine;
use mediasql::config::Config;

fn make_files(dir: &Path, count: usize) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests/fixtures/images");
    let photos: Vec<Vec<u8>> = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "camera.png"]
        .iter()
        .map(|name| std::fs::read(fixtures.join(name)).expect("fixture photo"))
        .collect();
    let root = dir.join("photos");
    for i in 0..count {
        let sub = root.join(format!("{:03}", i / 100));
        std::fs::create_dir_all(&sub).expect("bench dir");
        let photo = &photos[i % photos.len()];
        std::fs::write(sub.join(format!("{i:05}.jpg")), photo).expect("bench file");
    }
    root
}

fn scan(c: &mut Criterion) {
    let count = std::env::var("MEDIASQL_BENCH_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("mediasql-bench-{}", std::process::id()));
    let root = make_files(&dir, count);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let engine = Engine::new(&Config::default()).expect("engine");
    let location = root.to_string_lossy();
    let queries = [
        (
            "listing: path, size",
            format!("SELECT path, size FROM read_media('{location}')"),
        ),
        (
            "header: width, height",
            format!("SELECT width, height FROM read_media('{location}')"),
        ),
        (
            "body: octet_length(content)",
            format!("SELECT octet_length(content) FROM read_media('{location}')"),
        ),
    ];
    let mut group = c.benchmark_group(format!("scan_{count}_files"));
    group.sample_size(10);
    for (name, sql) in &queries {
        assert_eq!(runtime.block_on(common::count_rows(&engine, sql)), count);
        group.bench_function(*name, |b| {
            b.iter(|| runtime.block_on(common::count_rows(&engine, sql)))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, scan);
criterion_main!(benches);
