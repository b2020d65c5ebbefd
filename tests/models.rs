//! The model registry across queries and restarts: one forward pass serves classify and
//! embed_image; transcripts meet the word error rate bar;
//! user models outlive the engine that made them and are refused once changed.

use mediasql::config::Config;
use mediasql::engine::Engine;
use mediasql::session::{Output, Session};

use crate::common::{busy_cpu, temp_dir};

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
    let _shared = busy_cpu().await;
    let user_dir = temp_dir("restart-models");
    // One cache for both engines: a changed model file is refused even where its results
    // are kept.
    let config = Config {
        user_models_dir: Some(user_dir.clone()),
        cache_dir: Some(temp_dir("restart-models-cache")),
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
    let uncached = Config {
        cache_dir: None,
        ..Config::default()
    };
    let engine = Engine::new(&uncached).unwrap();
    let session = engine.session();
    table(&session, sql).await.unwrap();
    let model = engine.models().image_model("efficientnet_lite0").unwrap();
    model.session.calls()
}

#[tokio::test]
async fn classify_and_embed_image_share_one_forward_pass() {
    let _shared = busy_cpu().await;
    let from = "FROM read_media('sql-tests/fixtures/images/*.jpg') WHERE path NOT LIKE '%corrupt%'";
    let alone = model_calls(&format!("SELECT classify(content)['label'] {from}")).await;
    assert!(alone > 0);
    let both = format!(
        "SELECT classify(content)['label'], classify(content)['score'], \
         inner_product(embed_image(content), embed_image(content)) {from}"
    );
    assert_eq!(model_calls(&both).await, alone);
}

/// Word error rate of `hypothesis` against `reference`: word-level edit distance over the
/// reference's length, ignoring case and punctuation.
fn word_error_rate(hypothesis: &str, reference: &str) -> f64 {
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (h, r) = (words(hypothesis), words(reference));
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let substitution = previous + usize::from(rw != hw);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[h.len()] as f64 / r.len().max(1) as f64
}

#[tokio::test]
async fn transcripts_of_the_fixture_clips_have_at_most_20_percent_word_errors() {
    let _shared = busy_cpu().await;
    const SPOKEN: &str = "seven purple kites flew over the quiet harbor at dawn";
    assert_eq!(word_error_rate(SPOKEN, SPOKEN), 0.0);
    assert!(
        (word_error_rate(
            "seven verbal kites flew over the quiet harbor at dawn",
            SPOKEN
        ) - 0.1)
            .abs()
            < 1e-9
    );
    let session = Engine::new(&Config::default()).unwrap().session();
    for clip in ["harbor.wav", "harbor.mp3"] {
        let sql = format!(
            "SELECT transcribe(content) FROM read_media('sql-tests/fixtures/audio/{clip}')"
        );
        let mut outputs = session.execute_sql(&sql).await.unwrap();
        let Some(Output::Rows(stream)) = outputs.pop() else {
            panic!("no rows from {sql}");
        };
        let batches = datafusion::physical_plan::common::collect(stream)
            .await
            .unwrap();
        let text = datafusion::arrow::util::display::array_value_to_string(batches[0].column(0), 0)
            .unwrap();
        let wer = word_error_rate(&text, SPOKEN);
        assert!(wer <= 0.2, "{clip}: '{text}' has word error rate {wer}");
    }
}
