//! Per-row errors that name the file: `decode_image: photos/broken.jpg: ...` rather than
//! `decode_image: row 3: ...`.
//!
//! A function given a media table's `content` only sees bytes. The [`NameSourceFiles`]
//! analyzer rule rewrites `f(content, ...)` into [`Sourced`]`(f)(content, ..., path)` wherever
//! the same relation has a `path` column, for the functions that report per-row errors
//! ([`ROW_ERROR_FUNCTIONS`]). `Sourced` runs `f` on the original arguments and, when `f` fails
//! with a [`RowError`](crate::error::RowError), names row N's file in it. Column names and results are
//! unchanged; EXPLAIN shows the extra `path` argument, and the scan reads `path` (free: it
//! comes from the listing).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DataFusionError, Result, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;

use crate::error::{Typed, find_typed, with_row_path};

/// The functions whose errors say `name: row N: ...` for a row of their first argument.
pub const ROW_ERROR_FUNCTIONS: &[&str] = &[
    "decode_image",
    "resize",
    "crop",
    "thumbnail",
    "encode_image",
    "image_hash",
    "image_width",
    "image_height",
    "classify",
    "embed_image",
    "detect_objects",
    "pdf_text",
    "pdf_page_texts",
    "decode_audio",
    "audio_duration",
    "transcribe",
    "transcribe_segments",
    "video_frame_at",
];

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
            .map_err(|e| name_file(self.name(), e, &paths, rows))
    }
}

/// `e` naming the file of its failed row, when it is a row error of this function.
fn name_file(
    name: &str,
    e: DataFusionError,
    paths: &ColumnarValue,
    rows: usize,
) -> DataFusionError {
    let ours = matches!(find_typed(&e), Some(Typed::Row(r)) if r.function == name);
    match paths.to_array(rows) {
        Ok(paths) if ours => with_row_path(e, paths.as_ref()),
        _ => e,
    }
}

/// The analyzer rule that adds the `path` argument (see the module docs).
#[derive(Debug, Default)]
pub struct NameSourceFiles;

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
            node.map_expressions(|e| e.transform_up(|e| Ok(add_path(e, &has_path))))
        })
        .map(|t| t.data)
    }
}

fn add_path(expr: Expr, has_path: &impl Fn(&Column) -> bool) -> Transformed<Expr> {
    let Expr::ScalarFunction(call) = &expr else {
        return Transformed::no(expr);
    };
    let wrapped = call.func.inner().downcast_ref::<Sourced>().is_some();
    if wrapped || !ROW_ERROR_FUNCTIONS.contains(&call.func.name()) {
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
    let func = Arc::new(ScalarUDF::new_from_impl(Sourced::new(Arc::clone(
        &call.func,
    ))));
    Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(func, args)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn names_the_file_of_its_own_row_errors() {
        use crate::error::row_error;
        let paths = ColumnarValue::Array(Arc::new(StringArray::from(vec!["a.jpg", "b.jpg"])));
        let e = name_file("f", row_error("f", 1, "broken"), &paths, 2);
        assert_eq!(find_typed(&e).unwrap().message(), "f: b.jpg: broken");
        let other = name_file("f", row_error("g", 1, "broken"), &paths, 2);
        assert_eq!(find_typed(&other).unwrap().message(), "g: row 1: broken");
    }
}
