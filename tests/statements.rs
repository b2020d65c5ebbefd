//! The statement pipeline seen from outside: a statement is parsed once on its way through
//! Parse, Bind and Execute, and `EXPLAIN VERBOSE` names the rewrites that changed it.

use datafusion::arrow::array::{Array, AsArray};
use mediasql::config::Config;
use mediasql::engine::Engine;
use mediasql::session::Output;

use crate::common::TestServer;

/// A catalog query as psql writes them: unqualified `pg_class`, `OPERATOR(pg_catalog.~)`.
const PSQL_LIKE: &str = "SELECT c.relname FROM pg_class c \
     WHERE c.relname OPERATOR(pg_catalog.~) $1 AND c.relkind = 'r' ORDER BY 1";

#[tokio::test]
async fn a_rewritten_catalog_query_is_parsed_once_through_parse_bind_execute() {
    let engine = Engine::new(&Config::default()).unwrap();
    let server = TestServer::start(engine.clone()).await;
    let client = server.connect().await;
    let before = engine.statements_parsed();
    let statement = client.prepare(PSQL_LIKE).await.unwrap();
    for pattern in ["^pg_", "^nothing$"] {
        client.query(&statement, &[&pattern]).await.unwrap();
    }
    assert_eq!(engine.statements_parsed() - before, 1);
}

#[tokio::test]
async fn explain_verbose_names_the_rewrites_that_fired() {
    let engine = Engine::new(&Config::default()).unwrap();
    let session = engine.session();
    let sql = "EXPLAIN VERBOSE SELECT relname FROM pg_class WHERE relname LIKE 'a!_%' ESCAPE '!'";
    let mut outputs = session.execute_sql(sql).await.unwrap();
    let Some(Output::Rows(rows)) = outputs.pop() else {
        panic!("EXPLAIN gives rows");
    };
    let batches = datafusion::physical_plan::common::collect(rows)
        .await
        .unwrap();
    let mut fired = None;
    for batch in &batches {
        let (types, plans) = (batch.column(0).as_string::<i32>(), batch.column(1));
        let plans = plans.as_string::<i32>();
        for row in 0..batch.num_rows() {
            if types.value(row) == "logical_plan after mediasql_rewrites" {
                fired = Some(plans.value(row).to_string());
            }
        }
        assert!(plans.len() == types.len());
    }
    assert_eq!(
        fired.as_deref(),
        Some("prepend_unqualified_pg_table_name, like_escape")
    );
}

#[tokio::test]
async fn the_functions_with_on_error_name_their_rows_files() {
    let engine = Engine::new(&Config::default()).unwrap();
    let rule = mediasql_udfs::sourced::NameSourceFiles::new(engine.media_functions());
    assert_eq!(
        rule.functions(),
        [
            "audio_duration",
            "classify",
            "crop",
            "decode_audio",
            "decode_image",
            "detect_objects",
            "download",
            "embed_image",
            "encode_image",
            "image_hash",
            "image_height",
            "image_width",
            "pdf_page_texts",
            "pdf_text",
            "resize",
            "thumbnail",
            "transcribe",
            "transcribe_segments",
            "video_frame_at",
        ]
    );
}
