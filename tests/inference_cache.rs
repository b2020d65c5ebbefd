//! The inference cache across runs, processes and faults: a rerun over an unchanged folder
//! reads no file bodies; a file replaced under the same name and size gets its new result;
//! a process killed mid-run and a damaged store file leave correct answers behind; two
//! sessions computing the same rows at once agree.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mediasql::config::Config;
use mediasql::engine::Engine;
use mediasql::session::{Output, Session};

use crate::common::{busy_cpu, fixtures, temp_dir};

/// The rows of `sql` as text, one line per row.
async fn rows(session: &Session, sql: &str) -> Vec<String> {
    let mut outputs = session.execute_sql(sql).await.unwrap();
    let Some(Output::Rows(stream)) = outputs.pop() else {
        panic!("no rows from {sql}");
    };
    let batches = datafusion::physical_plan::common::collect(stream)
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    text.lines()
        .filter(|l| l.starts_with('|'))
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn session(cache: &Path) -> Session {
    let config = Config {
        cache_dir: Some(cache.to_path_buf()),
        target_partitions: Some(2),
        ..Config::default()
    };
    Engine::new(&config).unwrap().session()
}

/// `copies` copies of each fixture image, each made distinct by bytes after its end.
fn image_folder(what: &str, copies: usize) -> PathBuf {
    let dir = temp_dir(what);
    for name in ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "camera.png"] {
        let bytes = std::fs::read(fixtures().join("images").join(name)).unwrap();
        for copy in 0..copies {
            let mut distinct = bytes.clone();
            distinct.extend_from_slice(format!("copy {copy}").as_bytes());
            std::fs::write(dir.join(format!("{copy:03}-{name}")), distinct).unwrap();
        }
    }
    dir
}

fn classify_sql(dir: &Path) -> String {
    format!(
        "SELECT regexp_replace(path, '.*/', '') AS f, classify(content)['label'] AS label \
         FROM read_media('{}') ORDER BY f",
        dir.display()
    )
}

/// The value of metric `name` on the first line of an EXPLAIN ANALYZE that mentions `node`.
fn metric(analyzed: &[String], node: &str, name: &str) -> u64 {
    let line = analyzed
        .iter()
        .find(|l| l.contains(node))
        .unwrap_or_else(|| panic!("no {node} in {analyzed:#?}"));
    let start = line
        .find(&format!("{name}="))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        + name.len()
        + 1;
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[tokio::test]
async fn a_rerun_reads_no_bodies_and_a_replaced_file_is_read_again() {
    let _shared = busy_cpu().await;
    let dir = image_folder("cache-bodies", 1);
    let cache = temp_dir("cache-bodies-store");
    let session = session(&cache);
    let sql = classify_sql(&dir);
    let uncached = {
        let off = session_off(&cache);
        rows(&off, &sql).await
    };
    assert_eq!(rows(&session, &sql).await, uncached);
    let analyzed = rows(&session, &format!("EXPLAIN ANALYZE {sql}")).await;
    assert_eq!(metric(&analyzed, "MediaScanExec", "body_reads"), 0);
    assert_eq!(metric(&analyzed, "InferenceExec", "bodies_read"), 0);
    assert_eq!(metric(&analyzed, "InferenceExec", "cache_hits"), 4);
    assert_eq!(metric(&analyzed, "InferenceExec", "model_rows"), 0);
    assert!(metric(&analyzed, "InferenceExec", "bytes_not_read") > 0);

    // The coffee replaced by the cat under the coffee's name and size (a JPEG ends at its
    // end-of-image marker: the padding after it is not read).
    let coffee = dir.join("000-coffee.jpg");
    let size = std::fs::metadata(&coffee).unwrap().len() as usize;
    let mut cat = std::fs::read(fixtures().join("images/chelsea.jpg")).unwrap();
    assert!(cat.len() < size, "the padding below needs a smaller cat");
    cat.resize(size, 0);
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&coffee, &cat).unwrap();
    let after = rows(&session, &sql).await;
    let label = |rows: &[String], file: &str| -> String {
        let row = rows.iter().find(|r| r.contains(file)).unwrap();
        row.split('|').nth(2).unwrap().trim().to_string()
    };
    assert_eq!(label(&uncached, "coffee"), "espresso");
    assert_eq!(
        label(&after, "coffee"),
        label(&uncached, "chelsea"),
        "{after:?}"
    );
    let analyzed = rows(&session, &format!("EXPLAIN ANALYZE {sql}")).await;
    assert_eq!(metric(&analyzed, "InferenceExec", "cache_hits"), 4);
}

/// A session with the cache off (and another directory, untouched).
fn session_off(cache: &Path) -> Session {
    let config = Config {
        cache_dir: Some(cache.with_extension("off")),
        target_partitions: Some(2),
        ..Config::default()
    };
    let session = Engine::new(&config).unwrap().session();
    futures::executor::block_on(session.execute_sql("SET mediasql.inference_cache = 'off'"))
        .unwrap();
    session
}

#[tokio::test]
async fn a_killed_writer_and_a_damaged_store_leave_correct_answers() {
    let _shared = busy_cpu().await;
    let dir = image_folder("cache-kill", 20);
    let cache = temp_dir("cache-kill-store");
    let sql = classify_sql(&dir);
    let expected = rows(&session_off(&cache), &sql).await;
    assert_eq!(expected.len(), 80);

    // SIGKILL in the middle of a cached run (80 images take a few seconds here).
    let mut child = Command::new(env!("CARGO_BIN_EXE_mediasql"))
        .args(["query", &sql, "--cache-dir"])
        .arg(&cache)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(rows(&session(&cache), &sql).await, expected);
    assert_eq!(rows(&session(&cache), &sql).await, expected);

    // Bytes flipped inside the store: damaged values are misses, never answers.
    let file = cache.join(mediasql::cache::FILE_NAME);
    let mut bytes = std::fs::read(&file).unwrap();
    let len = bytes.len();
    for i in (len / 3..len).step_by(4099) {
        bytes[i] ^= 0x55;
    }
    std::fs::write(&file, &bytes).unwrap();
    let fresh = temp_dir("cache-kill-copy");
    std::fs::copy(&file, fresh.join(mediasql::cache::FILE_NAME)).unwrap();
    assert_eq!(rows(&session(&fresh), &sql).await, expected);

    // A store overwritten with garbage: moved aside, rebuilt, and the answers are right.
    let garbage = temp_dir("cache-garbage");
    std::fs::write(
        garbage.join(mediasql::cache::FILE_NAME),
        vec![0xa5; 1 << 16],
    )
    .unwrap();
    assert_eq!(rows(&session(&garbage), &sql).await, expected);
    assert_eq!(rows(&session(&garbage), &sql).await, expected);
    let aside = std::fs::read_dir(&garbage)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().contains("damaged"))
        })
        .count();
    assert_eq!(aside, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_computing_the_same_rows_at_once_agree() {
    let _shared = busy_cpu().await;
    let dir = image_folder("cache-twice", 5);
    let cache = temp_dir("cache-twice-store");
    let sql = classify_sql(&dir);
    let expected = rows(&session_off(&cache), &sql).await;
    // Two engines over one cache directory (one store for the process), at once; the
    // cluster test shares a directory between processes.
    let (a, b) = (session(&cache), session(&cache));
    let (ra, rb) = tokio::join!(rows(&a, &sql), rows(&b, &sql));
    assert_eq!(ra, expected);
    assert_eq!(rb, expected);
    let analyzed = rows(&a, &format!("EXPLAIN ANALYZE {sql}")).await;
    assert_eq!(metric(&analyzed, "InferenceExec", "cache_hits"), 20);
}
