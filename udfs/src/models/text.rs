//! Text embedding models through fastembed's user-defined model loader, on our ONNX Runtime
//! environment: mean pooling over the attention mask, max 256 tokens, L2-normalised output.

use std::collections::HashMap;
use std::sync::Mutex;

use datafusion::common::{DataFusionError, Result, exec_err};
use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use ort::environment::Environment;
use tokenizers::Tokenizer;

use super::device::Device;
use super::entry::ModelEntry;
use super::onnx::{self, intra_threads};

/// Longest input in tokens; longer texts are truncated (MiniLM was trained on 256).
pub const MAX_TOKENS: usize = 256;
/// Texts per model call.
pub const BATCH_SIZE: usize = 64;

/// A loaded sentence embedding model.
pub struct LoadedTextModel {
    pub entry: ModelEntry,
    model: Mutex<TextEmbedding>,
    /// The model's tokenizer without padding: counts tokens outside the model's lock.
    counter: Tokenizer,
}

impl std::fmt::Debug for LoadedTextModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedTextModel")
            .field("name", &self.entry.name)
            .finish()
    }
}

impl LoadedTextModel {
    /// Builds the model from its verified files (`model`, `tokenizer`, `config`,
    /// `special_tokens_map`, `tokenizer_config`).
    pub fn load(
        entry: ModelEntry,
        mut files: HashMap<&'static str, Vec<u8>>,
        env: Environment,
        device: Device,
    ) -> Result<Self> {
        let mut take = |role: &str| {
            files.remove(role).ok_or_else(|| {
                DataFusionError::Internal(format!("model {}: {role} not read", entry.name))
            })
        };
        let tokenizer = TokenizerFiles {
            tokenizer_file: take("tokenizer")?,
            config_file: take("config")?,
            special_tokens_map_file: take("special_tokens_map")?,
            tokenizer_config_file: take("tokenizer_config")?,
        };
        let user_model =
            UserDefinedEmbeddingModel::new(take("model")?, tokenizer).with_pooling(Pooling::Mean);
        let options = InitOptionsUserDefined::new()
            .with_environment(env)
            .with_max_length(MAX_TOKENS)
            .with_intra_threads(intra_threads())
            .with_execution_providers(onnx::execution_providers(device)?);
        let model = TextEmbedding::try_new_from_user_defined(user_model, options).map_err(|e| {
            DataFusionError::Execution(format!("loading model {}: {e}", entry.name))
        })?;
        let mut counter = model.tokenizer.clone();
        counter.with_padding(None);
        Ok(Self {
            entry,
            model: Mutex::new(model),
            counter,
        })
    }

    /// Indices of `texts` from fewest tokens to most: texts of similar length share model
    /// batches, so little of each batch is padding. Tokens, not characters: the peers
    /// benchmark's chunks of 200 characters run from 35 to 41 tokens, and a batch is padded
    /// to its longest (its 4,564 chunks, 3 alternating runs: 19.0 s of model time against
    /// 21.5 s sorted by characters). Counting costs a second tokenisation, off the model's
    /// thread.
    pub fn token_order(&self, texts: &[&str]) -> Result<Vec<usize>> {
        let mut counts = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self.counter.encode_fast(*text, true).map_err(|e| {
                DataFusionError::Execution(format!("model {}: {e}", self.entry.name))
            })?;
            counts.push(encoding.len());
        }
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| counts[i]);
        Ok(order)
    }

    /// Embeddings of `texts`, L2-normalised, in the order given.
    ///
    /// Texts are grouped by token count before batching (padding is the hidden cost of text
    /// batches), and results put back in row order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let order = self.token_order(texts)?;
        let sorted: Vec<&str> = order.iter().map(|&i| texts[i]).collect();
        let embeddings = self.embed_in_order(&sorted)?;
        let mut out = vec![Vec::new(); texts.len()];
        for (embedding, &row) in embeddings.into_iter().zip(&order) {
            out[row] = embedding;
        }
        Ok(out)
    }

    /// Embeddings of `texts`, L2-normalised, batched in the order given (callers sort by
    /// tokens first: see [`Self::token_order`]).
    ///
    /// One model batch per fastembed call: fastembed keeps every output of a call until its
    /// end, in ONNX Runtime's arena, which keeps the memory for good.
    pub fn embed_in_order(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut model = self
            .model
            .lock()
            .map_err(|_| DataFusionError::Internal("model session lock poisoned".into()))?;
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH_SIZE) {
            let embeddings = model.embed(batch, Some(BATCH_SIZE)).map_err(|e| {
                DataFusionError::Execution(format!("model {}: {e}", self.entry.name))
            })?;
            if embeddings.len() != batch.len() {
                return exec_err!(
                    "model {} returned {} embeddings for {} texts",
                    self.entry.name,
                    embeddings.len(),
                    batch.len()
                );
            }
            out.extend(embeddings.into_iter().map(l2_normalised));
        }
        Ok(out)
    }
}

/// `v / |v|` (a zero vector stays zero).
pub fn l2_normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
