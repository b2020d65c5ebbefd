//! String literals compared with booleans take the boolean's type, as in PostgreSQL.
//!
//! PostgreSQL types a quoted literal from its context: in `ix.indisprimary = 'f'` (what
//! SQLAlchemy's index reflection sends) `'f'` is a boolean. DataFusion types it as text first
//! and then finds no common type for `Boolean = Utf8`. This analyzer rule runs before
//! DataFusion's type coercion and turns such literals into booleans, with PostgreSQL's
//! spellings (`t`, `true`, `yes`, `on`, `1` and their opposites, any case, trimmed); a
//! literal that is none of them is left, and the comparison fails as before.
//!
//! It reaches filters and join conditions, where clients compare catalog flags. A comparison
//! in a select list is typed while DataFusion plans the projection, before any analyzer
//! rule, and still fails.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

/// The analyzer rule.
#[derive(Debug, Default)]
pub struct BooleanLiterals;

impl AnalyzerRule for BooleanLiterals {
    fn name(&self) -> &str {
        "mediasql_boolean_literals"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let inputs = node.inputs();
            if inputs.is_empty() {
                return Ok(Transformed::no(node));
            }
            let schema = merge_schema(&inputs);
            node.map_expressions(|expr| expr.transform_up(|e| Ok(retype(e, &schema))))
        })
        .map(|t| t.data)
    }
}

/// `e` with a text literal compared against a boolean made a boolean literal.
fn retype(e: Expr, schema: &DFSchema) -> Transformed<Expr> {
    let is_boolean = |side: &Expr| {
        side.get_type(schema)
            .is_ok_and(|t| t == datafusion::arrow::datatypes::DataType::Boolean)
    };
    super::retype_literal_beside(e, is_comparison, boolean_literal, is_boolean)
}

fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

/// The boolean a text literal spells, as PostgreSQL's `boolin` reads it.
fn boolean_literal(expr: &Expr) -> Option<Expr> {
    let Expr::Literal(ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)), _) = expr
    else {
        return None;
    };
    let value = match text.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => true,
        "f" | "false" | "n" | "no" | "off" | "0" => false,
        _ => return None,
    };
    Some(Expr::Literal(ScalarValue::Boolean(Some(value)), None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    #[test]
    fn spellings_are_read_as_postgresql_reads_them() {
        let t = Some(Expr::Literal(ScalarValue::Boolean(Some(true)), None));
        let f = Some(Expr::Literal(ScalarValue::Boolean(Some(false)), None));
        assert_eq!(boolean_literal(&lit("f")), f);
        assert_eq!(boolean_literal(&lit(" TRUE ")), t);
        assert_eq!(boolean_literal(&lit("maybe")), None);
        assert_eq!(boolean_literal(&lit(1)), None);
    }

    #[test]
    fn only_comparisons_with_booleans_change() {
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let schema = Schema::new(vec![
            Field::new("flag", DataType::Boolean, true),
            Field::new("name", DataType::Utf8, true),
        ]);
        let schema = DFSchema::try_from(schema).unwrap();
        assert!(retype(col("flag").eq(lit("f")), &schema).transformed);
        assert!(retype(lit("yes").not_eq(col("flag")), &schema).transformed);
        assert!(!retype(col("name").eq(lit("f")), &schema).transformed);
    }
}
