//! Integer literals beside an int4 or int2 operand are int4, as in PostgreSQL.
//!
//! PostgreSQL types an integer literal that fits 32 bits as `integer`, so `$1::int4 + 1` and
//! `int4col * 2` are `integer` (`int2col + 1` too: int2 + int4 is int4). DataFusion types
//! every integer literal as Int64, and `Int32 + Int64` is Int64: clients were told `bigint`
//! (node-postgres then returns a string). This rewrite, applied to each plan as the SQL
//! planner leaves it (before parameter types and result columns are described, and before
//! DataFusion's type coercion), makes such a literal Int32 where it fits. Literals beside
//! bigints, or beside each other (`41 + 1`), stay Int64.
//!
//! Result column names stay as the SQL planner named them. Narrowed arithmetic raises on
//! overflow as PostgreSQL does ([`super::checked_arithmetic`]).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Operator};

/// `plan` with integer literals beside int4/int2 operands made Int32. DML statements are
/// left as they are.
pub fn narrow_int_literals(plan: LogicalPlan) -> Result<LogicalPlan> {
    if matches!(plan, LogicalPlan::Dml(_)) {
        return Ok(plan);
    }
    // Once a literal is narrowed, the nodes above it (visited later) recompute their
    // schemas from their inputs'; before that, nothing changed.
    let mut changed = false;
    plan.transform_up_with_subqueries(|node| {
        // Values keep the schema they were planned with; extension nodes are not ours; a
        // grouping set's expressions must keep their names (ROLLUP, CUBE, GROUPING SETS).
        let grouping_sets = matches!(&node, LogicalPlan::Aggregate(aggregate)
            if aggregate.group_expr.iter().any(|e| matches!(e, Expr::GroupingSet(_))));
        if grouping_sets
            || matches!(
                node,
                LogicalPlan::Values(_) | LogicalPlan::Extension(_) | LogicalPlan::Dml(_)
            )
        {
            return Ok(Transformed::no(node));
        }
        let inputs = node.inputs();
        let narrowed = if inputs.is_empty() {
            Transformed::no(node)
        } else {
            let schema = merge_schema(&inputs);
            let names = NamePreserver::new(&node);
            node.map_expressions(|expr| {
                let name = names.save(&expr);
                expr.transform_up(|e| Ok(narrow(e, &schema)))
                    .map(|t| t.update_data(|e| name.restore(e)))
            })?
        };
        changed |= narrowed.transformed;
        if changed {
            narrowed.map_data(LogicalPlan::recompute_schema)
        } else {
            Ok(narrowed)
        }
    })
    .map(|t| t.data)
}

/// `e` with an Int64 literal beside an int4/int2 operand made Int32, where it fits.
fn narrow(e: Expr, schema: &DFSchema) -> Transformed<Expr> {
    super::retype_literal_beside(e, narrows, int4_literal, |side| {
        is_int4_or_int2(side, schema)
    })
}

/// Arithmetic and comparisons: the operators PostgreSQL has for int4 with int4.
fn narrows(op: Operator) -> bool {
    matches!(
        op,
        Operator::Plus
            | Operator::Minus
            | Operator::Multiply
            | Operator::Divide
            | Operator::Modulo
            | Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

/// The Int32 literal of an Int64 literal that fits 32 bits.
fn int4_literal(e: &Expr) -> Option<Expr> {
    let Expr::Literal(ScalarValue::Int64(Some(v)), metadata) = e else {
        return None;
    };
    let v = i32::try_from(*v).ok()?;
    Some(Expr::Literal(ScalarValue::Int32(Some(v)), metadata.clone()))
}

fn is_int4_or_int2(e: &Expr, schema: &DFSchema) -> bool {
    // An untyped `$n` has no type yet: DataFusion infers it from the literal, as before.
    e.get_type(schema)
        .is_ok_and(|t| matches!(t, DataType::Int32 | DataType::Int16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;
    use std::sync::Arc;

    async fn planned(sql: &str) -> LogicalPlan {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![
            Field::new("i4", DataType::Int32, true),
            Field::new("i2", DataType::Int16, true),
            Field::new("i8", DataType::Int64, true),
        ]));
        let table = MemTable::try_new(schema, vec![vec![]]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        narrow_int_literals(plan).unwrap()
    }

    fn types(plan: &LogicalPlan) -> Vec<DataType> {
        plan.schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect()
    }

    #[tokio::test]
    async fn literals_beside_int4_become_int4() {
        let plan = planned(
            "SELECT CAST(1 AS int) + 1 AS a, i4 * 2, 3 - i4, i2 + 1, i8 + 1, 1 + 1 AS b, \
             i4 + 3000000000 FROM t",
        )
        .await;
        use DataType::*;
        assert_eq!(
            types(&plan),
            vec![Int32, Int32, Int32, Int32, Int64, Int64, Int64]
        );
        // The columns keep the names the SQL planner gave them.
        let names: Vec<_> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names[1], "t.i4 * Int64(2)");
    }

    #[tokio::test]
    async fn nested_arithmetic_and_filters_narrow() {
        let plan = planned("SELECT i4 + 1 + 2 AS n FROM t WHERE i4 > 5 ORDER BY n").await;
        assert_eq!(types(&plan), vec![DataType::Int32]);
        let text = plan.display_indent().to_string();
        assert!(text.contains("t.i4 > Int32(5)"), "{text}");
        assert!(!text.contains("Int64(2)"), "{text}");
    }

    #[tokio::test]
    async fn parameters_cast_to_int4_narrow_and_untyped_ones_do_not() {
        let plan = planned("SELECT $1::int4 + 1, $2 + 1").await;
        assert_eq!(types(&plan), vec![DataType::Int32, DataType::Int64]);
        let types = plan.get_parameter_types().unwrap();
        assert_eq!(types["$2"], Some(DataType::Int64));
    }

    #[tokio::test]
    async fn aggregates_over_narrowed_groups_keep_their_names() {
        let plan =
            planned("SELECT i4 + 1, count(*) FROM t GROUP BY i4 + 1 HAVING i4 + 1 > 2").await;
        assert_eq!(types(&plan), vec![DataType::Int32, DataType::Int64]);
    }
}
