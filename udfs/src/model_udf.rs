//! [`ModelUdf`]: the one scalar function type DataFusion sees for every model function.
//!
//! A model function (`classify`, `embed_text`, `transcribe`...) implements
//! [`ModelFunction`]: its declaration (name, signature, coercion, return type, docs) and the
//! [`ModelCall`](crate::models::ModelCall) its constant arguments make (the forward pass:
//! prepare and run; the head: postprocess). Registered as `ModelUdf::udf(function)`, it is
//! found by its type (`udf.inner().downcast_ref::<ModelUdf>()`, see [`as_model_udf`]) by the
//! rules that plan model calls into `InferenceExec`; adding a model function is its own file
//! and one registration line in `lib.rs`.
//!
//! Where a call's rows come from files, the analyzer gives it one more argument, their paths
//! ([`ModelUdf::sourced`]), so that a per-row error names the file; the call stays a
//! `ModelUdf` and reads as the same call (column name, return type) as without it.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};

use crate::error::name_row_file;
use crate::models::{ModelFunction, invoke_in_place};

/// A model function as DataFusion sees it.
#[derive(Debug)]
pub struct ModelUdf {
    function: Arc<dyn ModelFunction>,
    /// Whether the last argument is the rows' paths (added by the analyzer).
    sourced: bool,
    /// The signature of a sourced call: its arguments were coerced before the path was added.
    any: Signature,
}

impl ModelUdf {
    /// `function` as a scalar function to register.
    pub fn udf(function: impl ModelFunction) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self::new(Arc::new(function), false))
    }

    fn new(function: Arc<dyn ModelFunction>, sourced: bool) -> Self {
        Self {
            function,
            sourced,
            any: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// The same function called with one more argument, the rows' paths.
    pub fn sourced(&self) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self::new(Arc::clone(&self.function), true))
    }

    /// Whether the last argument is the rows' paths.
    pub fn is_sourced(&self) -> bool {
        self.sourced
    }

    /// The model function.
    pub fn function(&self) -> &dyn ModelFunction {
        self.function.as_ref()
    }

    /// `items` without the paths argument.
    pub fn original<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        match (self.sourced, items.split_last()) {
            (true, Some((_, rest))) => rest,
            _ => items,
        }
    }
}

/// `udf` as a model function, when it is one.
pub fn as_model_udf(udf: &ScalarUDF) -> Option<&ModelUdf> {
    udf.inner().downcast_ref::<ModelUdf>()
}

impl PartialEq for ModelUdf {
    fn eq(&self, other: &Self) -> bool {
        self.function.name() == other.function.name() && self.sourced == other.sourced
    }
}

impl Eq for ModelUdf {}

impl Hash for ModelUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.function.name().hash(state);
        self.sourced.hash(state);
    }
}

impl ScalarUDFImpl for ModelUdf {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &Signature {
        match self.sourced {
            true => &self.any,
            false => self.function.signature(),
        }
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        let args: Vec<String> = self
            .original(args)
            .iter()
            .map(|a| a.schema_name().to_string())
            .collect();
        Ok(format!("{}({})", self.name(), args.join(",")))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match self.sourced {
            true => Ok(arg_types.to_vec()),
            false => self.function.coerce_types(arg_types),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.function.return_type(self.original(arg_types))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.function.return_field_from_args(ReturnFieldArgs {
            arg_fields: self.original(args.arg_fields),
            scalar_arguments: self.original(args.scalar_arguments),
        })
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.function.name();
        if !self.sourced {
            return invoke_in_place(self.function.as_ref(), name, args);
        }
        let (Some(paths), Some(_)) = (args.args.pop(), args.arg_fields.pop()) else {
            return plan_err!("{name}: missing source path");
        };
        let rows = args.number_rows;
        invoke_in_place(self.function.as_ref(), name, args)
            .map_err(|e| name_row_file(name, e, &paths, rows))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.function.documentation()
    }
}
