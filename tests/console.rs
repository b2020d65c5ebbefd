//! The web console as a person sees it, in headless Chromium (Debian's `chromium`, installed
//! by scripts/install-test-tools.sh): a query linked in the URL runs on load, and the demo's
//! photos show as thumbnails beside their labels.

use std::process::Command;

use mediasql::cli::demo_config;
use mediasql::engine::Engine;
use tokio::net::TcpListener;

use crate::common::busy_cpu;

/// The page at `url` after its scripts ran, as HTML.
fn rendered_dom(url: &str) -> String {
    let output = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=30000",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium (scripts/install-test-tools.sh installs it)");
    assert!(output.status.success(), "chromium: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_show_as_thumbnails_with_their_labels() {
    let _shared = busy_cpu().await;
    let engine = Engine::new(&demo_config().unwrap()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(mediasql::console::serve(listener, engine));

    let sql = "SELECT path, classify(content)['label'] AS label, content FROM images ORDER BY path";
    let url = format!(
        "http://{addr}/?sql={}",
        url::form_urlencoded::byte_serialize(sql.as_bytes()).collect::<String>()
    );
    let dom = tokio::task::spawn_blocking(move || rendered_dom(&url))
        .await
        .unwrap();
    let thumbnails = dom.matches("<img src=\"data:image/jpeg;base64,").count();
    assert_eq!(thumbnails, 4, "{dom}");
    for expected in [
        "cat.jpg",
        "Egyptian cat",
        "coffee.jpg",
        "espresso",
        "451x300",
    ] {
        assert!(dom.contains(expected), "no '{expected}' in {dom}");
    }
    // The catalog panel lists the tables and the functions with their docs.
    for expected in [">images<", ">classify<", "efficientnet_lite0"] {
        assert!(dom.contains(expected), "no '{expected}' in the catalog");
    }
}

#[test]
fn the_console_listens_on_loopback_only() {
    let public = "0.0.0.0:8080".parse().unwrap();
    let error = mediasql::console::check_loopback(&public).unwrap_err();
    assert!(error.to_string().contains("loopback only"), "{error}");
    assert!(mediasql::console::check_loopback(&"127.0.0.1:8080".parse().unwrap()).is_ok());
}
