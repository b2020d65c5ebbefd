//! Integer `+`, `-` and `*` raise on overflow, as in PostgreSQL: `2147483647::int4 + 1` is
//! the error 22003 "integer out of range" ("bigint out of range", "smallint out of range"),
//! where DataFusion's arithmetic wraps around.
//!
//! DataFusion's physical `BinaryExpr` can check (`with_fail_on_overflow`), but its physical
//! planner always builds it unchecked and has no setting or hook for it; a physical
//! optimizer rule would have to rebuild each kind of plan node that holds expressions
//! (projections, filters, aggregates' arguments, joins, windows, sorts...) one by one, and
//! would come too late for constants, which the simplifier folds (wrapped) before physical
//! planning. So this analyzer rule, run after DataFusion's type coercion, turns each
//! `a + b`, `a - b`, `a * b` of two smallints, integers or bigints into a call of a function
//! that computes it with Arrow's checked kernels (`int4pl(a, b)`, after PostgreSQL's names
//! for these functions). Its column name is the operation's (`t.n + Int32(1)`), so names do
//! not change. A call with constant arguments that overflows is left unfolded by the
//! simplifier (it keeps expressions whose evaluation fails) and raises when the statement
//! runs, as PostgreSQL's does.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::kernels::numeric;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::error::ArrowError;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, DataFusionError, Result, ScalarValue, internal_err};
use datafusion::logical_expr::expr::{BinaryExpr, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;
use mediasql_udfs::error::{SqlState, sql_error};

/// The analyzer rule; it runs after DataFusion's type coercion.
#[derive(Debug, Default)]
pub struct CheckedArithmetic;

impl AnalyzerRule for CheckedArithmetic {
    fn name(&self) -> &str {
        "mediasql_checked_arithmetic"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            // LIMIT's constants must stay foldable; extension nodes are not ours.
            let inputs = node.inputs();
            if inputs.is_empty()
                || matches!(node, LogicalPlan::Limit(_) | LogicalPlan::Extension(_))
            {
                return Ok(Transformed::no(node));
            }
            let schema = merge_schema(&inputs);
            let names = NamePreserver::new(&node);
            let checked = node.map_expressions(|expr| {
                let name = names.save(&expr);
                expr.transform_up(|e| checked(e, &schema))
                    .map(|t| t.update_data(|e| name.restore(e)))
            })?;
            if checked.transformed {
                checked.map_data(LogicalPlan::recompute_schema)
            } else {
                Ok(checked)
            }
        })
        .map(|t| t.data)
    }
}

/// The checked functions by their PostgreSQL names (`int2pl` ... `int8mul`), registered so
/// that a plan naming them can be read back (a cluster's scheduler and executors look
/// functions up by name).
pub fn checked_functions() -> Vec<ScalarUDF> {
    let types = [DataType::Int16, DataType::Int32, DataType::Int64];
    let ops = [Operator::Plus, Operator::Minus, Operator::Multiply];
    types
        .iter()
        .flat_map(|t| {
            ops.iter()
                .map(move |op| ScalarUDF::new_from_impl(CheckedOp::new(*op, t)))
        })
        .collect()
}

/// `e` as a checked call where it is integer `+`, `-` or `*`.
fn checked(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
        return Ok(Transformed::no(e));
    };
    if !matches!(op, Operator::Plus | Operator::Minus | Operator::Multiply) {
        return Ok(Transformed::no(e));
    }
    let (Ok(left_type), Ok(right_type)) = (left.get_type(schema), right.get_type(schema)) else {
        return Ok(Transformed::no(e));
    };
    if left_type != right_type
        || !matches!(
            left_type,
            DataType::Int16 | DataType::Int32 | DataType::Int64
        )
    {
        return Ok(Transformed::no(e));
    }
    let func = Arc::new(ScalarUDF::new_from_impl(CheckedOp::new(*op, &left_type)));
    let args = vec![left.as_ref().clone(), right.as_ref().clone()];
    Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction {
        func,
        args,
    })))
}

/// `a op b` of two integers of one type, an error where the result does not fit that type.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CheckedOp {
    op: Operator,
    /// PostgreSQL's name for it: `int4pl`, `int8mul`...
    name: String,
    /// "integer out of range" and the like.
    out_of_range: &'static str,
    signature: Signature,
}

impl CheckedOp {
    fn new(op: Operator, data_type: &DataType) -> Self {
        let (type_name, out_of_range) = match data_type {
            DataType::Int16 => ("int2", "smallint out of range"),
            DataType::Int32 => ("int4", "integer out of range"),
            _ => ("int8", "bigint out of range"),
        };
        let op_name = match op {
            Operator::Plus => "pl",
            Operator::Minus => "mi",
            _ => "mul",
        };
        Self {
            op,
            name: format!("{type_name}{op_name}"),
            out_of_range,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for CheckedOp {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(data_type) => Ok(data_type.clone()),
            None => internal_err!("{} takes two arguments", self.name),
        }
    }

    /// Nullable where an argument is, as the operation it replaces.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let [left, right] = args.arg_fields else {
            return internal_err!("{} takes two arguments", self.name);
        };
        Ok(Arc::new(Field::new(
            self.name(),
            left.data_type().clone(),
            left.is_nullable() || right.is_nullable(),
        )))
    }

    /// The name of the operation it replaces, so that columns keep their names.
    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        let [left, right] = args else {
            return internal_err!("{} takes two arguments", self.name);
        };
        Ok(format!(
            "{} {} {}",
            left.schema_name(),
            self.op,
            right.schema_name()
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [left, right] = args.args.as_slice() else {
            return internal_err!("{} takes two arguments", self.name);
        };
        let kernel = match self.op {
            Operator::Plus => numeric::add,
            Operator::Minus => numeric::sub,
            _ => numeric::mul,
        };
        let result = match (left, right) {
            (ColumnarValue::Array(l), ColumnarValue::Array(r)) => kernel(l, r),
            (ColumnarValue::Array(l), ColumnarValue::Scalar(r)) => kernel(l, &r.to_scalar()?),
            (ColumnarValue::Scalar(l), ColumnarValue::Array(r)) => kernel(&l.to_scalar()?, r),
            (ColumnarValue::Scalar(l), ColumnarValue::Scalar(r)) => {
                let array: ArrayRef =
                    kernel(&l.to_scalar()?, &r.to_scalar()?).map_err(|e| self.error(e))?;
                return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &array, 0,
                )?));
            }
        };
        result.map(ColumnarValue::Array).map_err(|e| self.error(e))
    }
}

impl CheckedOp {
    /// Overflow as PostgreSQL words it (22003); other errors as they are.
    fn error(&self, error: ArrowError) -> DataFusionError {
        match error {
            ArrowError::ArithmeticOverflow(_) => {
                sql_error(SqlState::NumericValueOutOfRange, self.out_of_range)
            }
            other => DataFusionError::from(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::int_literals::narrow_int_literals;
    use datafusion::arrow::array::{Array, Int32Array};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;
    use mediasql_udfs::error::find_sql_error;

    fn context() -> SessionContext {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(Arc::new(CheckedArithmetic));
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, true)]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int32Array::from(vec![
                Some(1),
                None,
                Some(i32::MAX),
            ]))],
        )
        .unwrap();
        let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        ctx
    }

    async fn run(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
        let plan = ctx.state().create_logical_plan(sql).await?;
        let plan = narrow_int_literals(plan)?;
        ctx.execute_logical_plan(plan).await?.collect().await
    }

    fn out_of_range(result: Result<Vec<RecordBatch>>) -> String {
        let error = result.expect_err("an overflow");
        let typed = find_sql_error(&error).unwrap_or_else(|| panic!("untyped: {error}"));
        assert_eq!(typed.state.code(), "22003");
        typed.message.clone()
    }

    #[tokio::test]
    async fn overflow_raises_with_the_type_in_the_message() {
        let ctx = context();
        let int4 = run(&ctx, "SELECT CAST(2147483647 AS int) + 1").await;
        assert_eq!(out_of_range(int4), "integer out of range");
        let int8 = run(&ctx, "SELECT CAST(9223372036854775807 AS bigint) + 1").await;
        assert_eq!(out_of_range(int8), "bigint out of range");
        let int2 = run(
            &ctx,
            "SELECT CAST(-32768 AS smallint) - CAST(1 AS smallint)",
        )
        .await;
        assert_eq!(out_of_range(int2), "smallint out of range");
        let column = run(&ctx, "SELECT n * 2 FROM t").await;
        assert_eq!(out_of_range(column), "integer out of range");
    }

    #[tokio::test]
    async fn results_that_fit_keep_their_names_types_and_nulls() {
        let ctx = context();
        let batches = run(&ctx, "SELECT n - 1 FROM t").await.unwrap();
        let column = batches[0].column(0);
        assert_eq!(batches[0].schema().field(0).name(), "t.n - Int64(1)");
        let values = column.as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(values.value(0), 0);
        assert!(values.is_null(1));
        assert_eq!(values.value(2), i32::MAX - 1);
        let sum = run(&ctx, "SELECT 41 + 1 AS n").await.unwrap();
        assert_eq!(sum[0].schema().field(0).data_type(), &DataType::Int64);
    }
}
