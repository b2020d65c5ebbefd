//! Per-row errors that name the file: `decode_image: photos/broken.jpg: ...` rather than
//! `decode_image: row 3: ...`.
//!
//! A function given a media table's `content` only sees bytes. The [`NameSourceFiles`]
//! analyzer rule rewrites a call of one of mediasql's functions `f(content, ...)` into
//! [`Sourced`]`(f)(content, ..., path)` wherever the same relation has a `path` column (a
//! model function into its own sourced form, so that it stays a
//! [`ModelUdf`](crate::model_udf::ModelUdf)). `Sourced` runs `f` on the original arguments
//! and, when `f` fails with a [`RowError`](crate::error::RowError), names row N's file in it. Column names and results are
//! unchanged; EXPLAIN shows the extra `path` argument, and the scan reads `path` (free: it
//! comes from the listing).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;

use std::collections::HashSet;

use crate::error::name_row_file;
use crate::model_udf::as_model_udf;

/// The column holding media bytes, and the one naming their file.
const CONTENT: &str = "content";
const PATH: &str = "path";

/// A function called with one more argument, the source path of each row, used only to
/// name the file in the function's per-row errors.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Sourced {
    inner: Arc<ScalarUDF>,
    signature: Signature,
}

impl Sourced {
    pub fn new(inner: Arc<ScalarUDF>) -> Self {
        Self {
            inner,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// The function called.
    pub fn inner(&self) -> &Arc<ScalarUDF> {
        &self.inner
    }
}

/// Whether `udf` is the sourced form of a function (it takes the rows' paths last).
pub fn is_sourced(udf: &ScalarUDF) -> bool {
    udf.inner().downcast_ref::<Sourced>().is_some()
        || as_model_udf(udf).is_some_and(|m| m.is_sourced())
}

/// The sourced form of `udf`: a model function's own, any other wrapped in [`Sourced`].
pub fn sourced_form(udf: &ScalarUDF) -> ScalarUDF {
    match as_model_udf(udf) {
        Some(model) => model.sourced(),
        None => ScalarUDF::new_from_impl(Sourced::new(Arc::new(udf.clone()))),
    }
}

/// All but the last element (the path).
fn original<T>(items: &[T]) -> &[T] {
    items.split_last().map_or(items, |(_, rest)| rest)
}

impl ScalarUDFImpl for Sourced {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        // The column keeps the name the user's expression gave it.
        self.inner.schema_name(original(args))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // Made by the analyzer after type coercion: the arguments already have their types.
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(original(arg_types))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(ReturnFieldArgs {
            arg_fields: original(args.arg_fields),
            scalar_arguments: original(args.scalar_arguments),
        })
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (Some(paths), Some(_)) = (args.args.pop(), args.arg_fields.pop()) else {
            return exec_err!("{}: missing source path", self.name());
        };
        let rows = args.number_rows;
        self.inner
            .invoke_with_args(args)
            .map_err(|e| name_row_file(self.name(), e, &paths, rows))
    }
}

/// The analyzer rule that adds the `path` argument (see the module docs).
#[derive(Debug, Default)]
pub struct NameSourceFiles {
    /// The functions that report [`RowError`](crate::error::RowError)s.
    ours: HashSet<String>,
}

impl NameSourceFiles {
    /// The rule for the calls of those of `functions` that report per-row errors: those with
    /// an `on_error` parameter (`'raise'` or `'null'`).
    pub fn new(functions: &[ScalarUDF]) -> Self {
        let ours = functions
            .iter()
            .filter(|f| {
                let names = f.signature().parameter_names.as_deref().unwrap_or_default();
                names.iter().any(|n| n == "on_error")
            })
            .map(|f| f.name().to_string())
            .collect();
        Self { ours }
    }

    /// The names of the functions whose calls get their rows' paths.
    pub fn functions(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.ours.iter().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl AnalyzerRule for NameSourceFiles {
    fn name(&self) -> &str {
        "name_source_files"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let inputs: Vec<_> = node
                .inputs()
                .iter()
                .map(|i| Arc::clone(i.schema()))
                .collect();
            let has_path = |c: &Column| {
                let path = Column::new(c.relation.clone(), PATH);
                inputs.iter().any(|s| s.has_column(&path))
            };
            node.map_expressions(|e| e.transform_up(|e| Ok(self.add_path(e, &has_path))))
        })
        .map(|t| t.data)
    }
}

impl NameSourceFiles {
    /// A call of one of ours on `content` given the same relation's `path` as well: a model
    /// function's own sourced form, any other wrapped in [`Sourced`].
    fn add_path(&self, expr: Expr, has_path: &impl Fn(&Column) -> bool) -> Transformed<Expr> {
        let Expr::ScalarFunction(call) = &expr else {
            return Transformed::no(expr);
        };
        if is_sourced(&call.func) || !self.ours.contains(call.func.name()) {
            return Transformed::no(expr);
        }
        let Some(Expr::Column(content)) = call.args.first() else {
            return Transformed::no(expr);
        };
        if content.name != CONTENT || !has_path(content) {
            return Transformed::no(expr);
        }
        let path = Expr::Column(Column::new(content.relation.clone(), PATH));
        let mut args = call.args.clone();
        args.push(path);
        let func = Arc::new(sourced_form(&call.func));
        Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(func, args)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn names_the_file_of_its_own_row_errors() {
        use crate::error::{find_typed, row_error};
        let paths = ColumnarValue::Array(Arc::new(StringArray::from(vec!["a.jpg", "b.jpg"])));
        let e = name_row_file("f", row_error("f", 1, "broken"), &paths, 2);
        assert_eq!(find_typed(&e).unwrap().message(), "f: b.jpg: broken");
        let other = name_row_file("f", row_error("g", 1, "broken"), &paths, 2);
        assert_eq!(find_typed(&other).unwrap().message(), "g: row 1: broken");
    }
}
