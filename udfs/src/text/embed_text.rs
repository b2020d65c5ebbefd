//! `embed_text(text [, model])`: a sentence embedding (default all-MiniLM-L6-v2, 384 floats,
//! L2-normalised) as `FixedSizeList<Float32, 384>`.
//!
//! ```sql
//! SELECT chunk FROM chunks ORDER BY cosine_distance(embedding, embed_text('a cat')) LIMIT 5;
//! ```

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{ColumnarValue, Documentation, Signature};

use crate::io::download::DOC_SECTION_MEDIA;
use crate::models::{
    Device, Head, ModelCall, ModelFunction, ModelFunctionBase, ModelKind, ModelPass, ModelRegistry,
    PassOutput, Prepared, Stop, model_name, output_as, prepared_as,
};
use crate::vector::{embedding_type, embeddings_array};

const NAME: &str = "embed_text";
/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "all_minilm_l6_v2";
/// all-MiniLM-L6-v2's embedding width.
const DIM: i32 = 384;

/// The `embed_text` function; holds the engine's model registry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EmbedText(ModelFunctionBase);

impl EmbedText {
    pub fn new(models: Arc<ModelRegistry>) -> Self {
        Self(ModelFunctionBase::new(&["text", "model"], models))
    }
}

impl ModelFunction for EmbedText {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.0.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let is_text = |t: &DataType| {
            matches!(
                t,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
            )
        };
        match arg_types {
            [t] if is_text(t) => Ok(vec![DataType::Utf8]),
            [t, m] if is_text(t) && is_text(m) => Ok(vec![DataType::Utf8, DataType::Utf8]),
            [t, ..] if !is_text(t) => plan_err!("{NAME} expects text, got {t}"),
            _ => plan_err!("{NAME} expects (text [, model])"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(embedding_type(DIM))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn model_call(&self, args: &[ColumnarValue]) -> Result<ModelCall> {
        let model = model_name(NAME, args.get(1), DEFAULT_MODEL)?;
        self.0
            .models
            .entry_of_kind(&model, ModelKind::TextEmbedding, "a text embedding model")?;
        let pass = TextPass {
            models: Arc::clone(&self.0.models),
            model,
        };
        let head: Head = Arc::new(|output| {
            let rows = output_as::<TextOutput>(output, NAME)?;
            embeddings_array(NAME, rows.0.clone(), DIM)
        });
        Ok(ModelCall {
            pass: Arc::new(pass),
            head,
        })
    }
}

/// Texts held per pass: sorted by length within it, then run in model batches of 64, so
/// that texts of similar length share a batch.
const TEXTS_PER_PASS: usize = 1024;

/// The version of this pass's pre/post-processing: bumped when it changes what the pass
/// gives, so that results cached before are not read again.
const TEXT_PASS_VERSION: u32 = 1;

/// A text embedding model's forward pass over one column of strings.
#[derive(Debug)]
struct TextPass {
    models: Arc<ModelRegistry>,
    model: String,
}

/// The non-NULL texts of a mini-batch, shortest first, with their rows.
struct SortedTexts {
    rows: usize,
    order: Vec<usize>,
    texts: Vec<String>,
}

/// Embeddings per row (None for NULL).
struct TextOutput(Vec<Option<Vec<f32>>>);

impl ModelPass for TextPass {
    fn model(&self) -> &str {
        &self.model
    }

    fn key(&self) -> String {
        format!("text:{}", self.model)
    }

    fn fingerprint(&self) -> Option<String> {
        let entry = self.models.entry(&self.model).ok()?;
        Some(format!(
            "{}|v{TEXT_PASS_VERSION}|{}",
            self.key(),
            entry.fingerprint()
        ))
    }

    fn batch_size(&self) -> usize {
        TEXTS_PER_PASS
    }

    fn device(&self) -> Device {
        self.models.device()
    }

    fn prepare(&self, input: &ArrayRef, _first_row: usize) -> Result<Prepared> {
        let texts = cast(input, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let valid: Vec<usize> = (0..texts.len()).filter(|&r| texts.is_valid(r)).collect();
        let values: Vec<&str> = valid.iter().map(|&r| texts.value(r)).collect();
        let model = self.models.text_model(&self.model)?;
        let order: Vec<usize> = model
            .token_order(&values)?
            .into_iter()
            .map(|i| valid[i])
            .collect();
        let sorted = order.iter().map(|&r| texts.value(r).to_string()).collect();
        Ok(Box::new(SortedTexts {
            rows: texts.len(),
            order,
            texts: sorted,
        }))
    }

    fn load(&self) -> Result<()> {
        self.models.text_model(&self.model).map(|_| ())
    }

    fn run(&self, prepared: Prepared, _stop: &Stop) -> Result<PassOutput> {
        let input = prepared_as::<SortedTexts>(prepared, &self.model)?;
        let mut rows = vec![None; input.rows];
        if !input.texts.is_empty() {
            let model = self.models.text_model(&self.model)?;
            let texts: Vec<&str> = input.texts.iter().map(String::as_str).collect();
            for (embedding, &row) in model.embed_in_order(&texts)?.into_iter().zip(&input.order) {
                rows[row] = Some(embedding);
            }
        }
        Ok(Arc::new(TextOutput(rows)))
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "A sentence embedding (all-MiniLM-L6-v2 by default: 384 floats, L2-normalised; texts \
         longer than 256 tokens are truncated). Texts of similar length share model batches.",
        "embed_text(text [, model])",
    )
    .with_sql_example("SELECT cosine_similarity(embed_text('a cat'), embed_text('a kitten'))")
    .with_argument("text", "A string column or literal.")
    .with_argument("model", "A registered text embedding model.")
    .build()
});

#[cfg(test)]
mod tests {
    use crate::models::{ModelRegistry, default_models_dir};

    /// Batches group texts by tokens, not characters: ten one-letter words are 12 tokens in
    /// 19 characters, one long word 4 tokens in 21.
    #[test]
    fn texts_are_ordered_by_their_tokens() {
        let registry = ModelRegistry::new(default_models_dir()).unwrap();
        let model = registry.text_model(super::DEFAULT_MODEL).unwrap();
        let texts = ["a a a a a a a a a a", "internationalizations", "a"];
        assert_eq!(model.token_order(&texts).unwrap(), vec![2, 1, 0]);
    }

    /// MODELS.md's reference embeddings: cosine > 0.9999 for every sentence.
    /// Needs the installed model and ONNX Runtime (scripts/install-models.sh).
    #[test]
    fn matches_reference_embeddings() {
        let reference: serde_json::Value =
            serde_json::from_str(include_str!("testdata/all-MiniLM-L6-v2.json")).unwrap();
        let sentences: Vec<&str> = reference["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let registry = ModelRegistry::new(default_models_dir()).unwrap();
        let model = registry.text_model(super::DEFAULT_MODEL).unwrap();
        let ours = model.embed(&sentences).unwrap();
        for (i, expected) in reference["embeddings"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let expected: Vec<f64> = expected
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let dot: f64 = ours[i]
                .iter()
                .zip(&expected)
                .map(|(a, b)| f64::from(*a) * b)
                .sum();
            let norm: f64 = expected.iter().map(|v| v * v).sum::<f64>().sqrt();
            let cosine = dot / norm;
            assert!(
                cosine > 0.9999,
                "sentence {i} {:?}: cosine {cosine}",
                sentences[i]
            );
        }
    }
}
