//! What every model function (classify, embed_image, embed_text...) holds and parses alike.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{ColumnarValue, Signature, Volatility};

use super::registry::ModelRegistry;

/// A model function's signature (user-defined coercion, named parameters) and the engine's
/// model registry. Two functions are equal when they share signature and registry.
#[derive(Debug)]
pub struct ModelFunctionBase {
    pub signature: Signature,
    pub models: Arc<ModelRegistry>,
}

impl ModelFunctionBase {
    pub fn new(parameter_names: &[&str], models: Arc<ModelRegistry>) -> Self {
        let names: Vec<String> = parameter_names.iter().map(|n| n.to_string()).collect();
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(names)
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self { signature, models }
    }
}

impl PartialEq for ModelFunctionBase {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature && Arc::ptr_eq(&self.models, &other.models)
    }
}

impl Eq for ModelFunctionBase {}

impl Hash for ModelFunctionBase {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.signature.hash(state);
    }
}

/// The `model` argument: a constant string, or `default` when absent.
pub fn model_name(function: &str, arg: Option<&ColumnarValue>, default: &str) -> Result<String> {
    constant_string(function, "model", arg, default)
}

/// The argument `name`: a constant string, or `default` when absent or NULL (a call that
/// names a later argument passes NULL for the ones it skips).
pub fn constant_string(
    function: &str,
    name: &str,
    arg: Option<&ColumnarValue>,
    default: &str,
) -> Result<String> {
    match arg {
        None => Ok(default.to_string()),
        Some(ColumnarValue::Scalar(s)) if s.is_null() => Ok(default.to_string()),
        Some(ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        )) => Ok(s.clone()),
        Some(_) => plan_err!("{function}: {name} must be a constant string"),
    }
}
