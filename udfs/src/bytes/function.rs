//! The shape every `(bytes [, on_error])` function shares (`pdf_text`, `pdf_page_texts`,
//! `audio_duration`): encoded media bytes in, one value per row out, undecodable rows an error
//! naming the function and row (NULL with `on_error => 'null'`).
//!
//! Each function is a [`BytesOp`] in its own file; [`BytesFunction`] makes it a UDF.

use std::fmt::Debug;
use std::hash::Hash;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::coerce_bytes_and_on_error;
use crate::error::row_error;
use crate::on_error::OnError;

/// One function of media bytes.
pub trait BytesOp: Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static {
    /// A row's result.
    type Out;
    /// The SQL name.
    const NAME: &'static str;
    /// What the bytes are, for errors (`PDF bytes`).
    const WHAT: &'static str;
    fn return_type() -> DataType;
    /// The result for one row's bytes; an `Err` is the row's error message.
    fn apply(&self, bytes: &[u8]) -> Result<Self::Out, String>;
    /// The rows' results as an array of [`Self::return_type`] (None = NULL).
    fn finish(rows: Vec<Option<Self::Out>>) -> Result<ArrayRef>;
    fn documentation() -> &'static Documentation;
}

/// A [`BytesOp`] as a scalar UDF.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BytesFunction<T: BytesOp> {
    op: T,
    signature: Signature,
}

impl<T: BytesOp> Default for BytesFunction<T> {
    fn default() -> Self {
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(vec!["bytes", "on_error"])
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self {
            op: T::default(),
            signature,
        }
    }
}

impl<T: BytesOp> BytesFunction<T> {
    /// The function ready to register.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(Self::default())
    }
}

impl<T: BytesOp> ScalarUDFImpl for BytesFunction<T> {
    fn name(&self) -> &str {
        T::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_bytes_and_on_error(T::NAME, T::WHAT, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(T::return_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(T::NAME, args.args.get(1))?;
        let Some(bytes) = args.args.first() else {
            return plan_err!("{} expects {}", T::NAME, T::WHAT);
        };
        let bytes = cast(&bytes.to_array(args.number_rows)?, &DataType::Binary)?;
        let bytes = bytes.as_binary::<i32>();
        let mut out = Vec::with_capacity(bytes.len());
        for (row, value) in bytes.iter().enumerate() {
            let Some(value) = value else {
                out.push(None);
                continue;
            };
            match (self.op.apply(value), on_error) {
                (Ok(result), _) => out.push(Some(result)),
                (Err(_), OnError::Null) => out.push(None),
                (Err(e), OnError::Raise) => return Err(row_error(T::NAME, row, e)),
            }
        }
        Ok(ColumnarValue::Array(T::finish(out)?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(T::documentation())
    }
}
