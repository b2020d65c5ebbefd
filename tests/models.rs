//! The model registry across queries and restarts: one forward pass serves classify and
//! embed_image; user models outlive the engine that made them and are refused once changed.

use mediasql::config::Config;
use mediasql::engine::Engine;
use mediasql::session::{Output, Session};

use crate::common::temp_dir;

/// The result of `sql` as a table.
async fn table(session: &Session, sql: &str) -> datafusion::error::Result<String> {
    let mut outputs = session.execute_sql(sql).await?;
    let Some(Output::Rows(stream)) = outputs.pop() else {
        panic!("no rows from {sql}");
    };
    let batches = datafusion::physical_plan::common::collect(stream).await?;
    Ok(datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string())
}

const CLASSIFY_COFFEE: &str = "SELECT classify(content, 'colours')['label'] \
     FROM read_media('sql-tests/fixtures/images/coffee.jpg')";

#[tokio::test]
async fn user_models_survive_a_restart_and_changed_files_are_refused() {
    let user_dir = temp_dir("restart-models");
    let config = Config {
        user_models_dir: Some(user_dir.clone()),
        ..Config::default()
    };
    let session = Engine::new(&config).unwrap().session();
    session
        .execute_sql(
            "CREATE MODEL colours FROM 'sql-tests/models/mean_colour.onnx' \
             WITH (labels 'red,green,blue', input_size 16)",
        )
        .await
        .unwrap();
    assert!(
        table(&session, CLASSIFY_COFFEE)
            .await
            .unwrap()
            .contains("| red")
    );
    drop(session);

    // A new engine over the same directory: the model is there.
    let session = Engine::new(&config).unwrap().session();
    let models = table(&session, "SHOW MODELS").await.unwrap();
    assert!(models.contains("| colours "), "{models}");
    assert!(
        table(&session, CLASSIFY_COFFEE)
            .await
            .unwrap()
            .contains("| red")
    );
    drop(session);

    // Its file changed after CREATE MODEL: refused, with the hash named.
    let model = user_dir.join("colours/model.onnx");
    let mut bytes = std::fs::read(&model).unwrap();
    bytes.push(0);
    std::fs::write(&model, bytes).unwrap();
    let session = Engine::new(&config).unwrap().session();
    let err = table(&session, CLASSIFY_COFFEE).await.unwrap_err();
    assert!(err.to_string().contains("refusing it"), "{err}");
    session.execute_sql("DROP MODEL colours").await.unwrap();
    assert!(!user_dir.join("colours").exists());
}

/// Model calls of `sql` on a fresh engine.
async fn model_calls(sql: &str) -> u64 {
    let engine = Engine::new(&Config::default()).unwrap();
    let session = engine.session();
    table(&session, sql).await.unwrap();
    let model = engine.models().image_model("efficientnet_lite0").unwrap();
    model.session.calls()
}

#[tokio::test]
async fn classify_and_embed_image_share_one_forward_pass() {
    let from = "FROM read_media('sql-tests/fixtures/images/*.jpg') WHERE path NOT LIKE '%corrupt%'";
    let alone = model_calls(&format!("SELECT classify(content)['label'] {from}")).await;
    assert!(alone > 0);
    let both = format!(
        "SELECT classify(content)['label'], classify(content)['score'], \
         inner_product(embed_image(content), embed_image(content)) {from}"
    );
    assert_eq!(model_calls(&both).await, alone);
}
