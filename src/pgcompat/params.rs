//! Parameter types a client declares (Parse's OIDs): PostgreSQL plans `$n` with the declared
//! type, so `SELECT $1` with an int8 parameter returns int8, not text. DataFusion infers
//! placeholder types only from context, so each declared `$n` becomes `CAST($n AS type)`
//! before planning.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, DataFusionError, Result};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr as LogicalExpr, ExprSchemable, LogicalPlan};
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{self, Expr, Value};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::ast::visit_exprs;

/// Wraps each `$n` whose type the client declared in a cast to that type.
pub fn cast_declared(statement: &mut SqlStatement, declared: &[Option<DataType>]) -> Result<()> {
    if declared.iter().all(Option::is_none) {
        return Ok(());
    }
    let types = declared
        .iter()
        .map(|t| t.as_ref().map(sql_type).transpose().map(Option::flatten))
        .collect::<Result<Vec<_>>>()?;
    let _ = visit_exprs(statement, &mut |e| cast(e, &types));
    Ok(())
}

fn cast(expr: &mut Expr, types: &[Option<ast::DataType>]) -> ControlFlow<()> {
    let Expr::Value(value) = expr else {
        return ControlFlow::Continue(());
    };
    let Value::Placeholder(name) = &value.value else {
        return ControlFlow::Continue(());
    };
    let index = name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok());
    let Some(Some(data_type)) = index.and_then(|n| types.get(n.checked_sub(1)?)) else {
        return ControlFlow::Continue(());
    };
    let placeholder = expr.clone();
    *expr = Expr::Cast {
        kind: ast::CastKind::Cast,
        expr: Box::new(placeholder),
        data_type: data_type.clone(),
        array: false,
        format: None,
    };
    ControlFlow::Continue(())
}

/// The `$n` (1-based) cast to `oid` or `oid[]` in `statement`. DataFusion plans oids as
/// integers; PostgreSQL describes such a parameter as oid/oid[], and asyncpg's own type
/// lookup (`t.oid = any($1::oid[])`) relies on that: it has a codec for oid[] before any
/// lookup, none for int4[].
pub fn oid_placeholders(statement: &SqlStatement) -> Vec<usize> {
    let mut found = Vec::new();
    let mut statement = statement.clone();
    let _ = visit_exprs(&mut statement, &mut |e| {
        if let Expr::Cast {
            expr, data_type, ..
        } = e
            && let Expr::Value(value) = expr.as_ref()
            && let Value::Placeholder(name) = &value.value
            && let Some(n) = name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
        {
            let type_name = data_type.to_string().to_ascii_lowercase();
            let type_name = type_name.strip_prefix("pg_catalog.").unwrap_or(&type_name);
            if matches!(type_name, "oid" | "oid[]") {
                found.push(n);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// The type of each `$n` that DataFusion's own inference leaves untyped, as PostgreSQL infers
/// it from its context: the type it is cast to (`$1::int`), an array of the compared value's
/// type in `x = ANY($1)` (pgcli's `relkind = ANY($1)`), or bigint as `LIMIT $1`/`OFFSET $1`
/// (asyncpg sends its parameters in the types the statement describes).
pub fn placeholder_casts(plan: &LogicalPlan) -> HashMap<String, DataType> {
    let mut casts = HashMap::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Limit(limit) = node {
            for count in [&limit.skip, &limit.fetch].into_iter().flatten() {
                if let LogicalExpr::Placeholder(placeholder) = count.as_ref() {
                    casts
                        .entry(placeholder.id.clone())
                        .or_insert(DataType::Int64);
                }
            }
        }
        let schema = merge_schema(&node.inputs());
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                if let Some((id, data_type)) = cast_type(e).or_else(|| any_type(e, &schema)) {
                    casts.entry(id).or_insert(data_type);
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    casts
}

/// `$n` and the type of `CAST($n AS type)`.
fn cast_type(e: &LogicalExpr) -> Option<(String, DataType)> {
    let (inner, data_type) = match e {
        LogicalExpr::Cast(cast) => (cast.expr.as_ref(), cast.field.data_type()),
        LogicalExpr::TryCast(cast) => (cast.expr.as_ref(), cast.field.data_type()),
        _ => return None,
    };
    let LogicalExpr::Placeholder(placeholder) = inner else {
        return None;
    };
    Some((placeholder.id.clone(), data_type.clone()))
}

/// `$n` and its type in `array_has($n, x)`, DataFusion's plan of `x = ANY($n)`: a list of
/// `x`'s type.
fn any_type(e: &LogicalExpr, schema: &DFSchema) -> Option<(String, DataType)> {
    let LogicalExpr::ScalarFunction(call) = e else {
        return None;
    };
    let [LogicalExpr::Placeholder(placeholder), needle] = call.args.as_slice() else {
        return None;
    };
    if call.name() != "array_has" {
        return None;
    }
    let element = match needle.get_type(schema).ok()? {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        other => other,
    };
    let list = DataType::List(Arc::new(Field::new_list_field(element, true)));
    Some((placeholder.id.clone(), list))
}

/// The SQL type DataFusion plans as `data_type`; None for types without one.
fn sql_type(data_type: &DataType) -> Result<Option<ast::DataType>> {
    let Some(name) = sql_type_name(data_type) else {
        return Ok(None);
    };
    let parsed = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&name)
        .and_then(|mut p| p.parse_data_type())
        .map_err(|e| DataFusionError::SQL(Box::new(e), None))?;
    Ok(Some(parsed))
}

fn sql_type_name(data_type: &DataType) -> Option<String> {
    Some(
        match data_type {
            DataType::Boolean => "boolean",
            DataType::Int16 => "smallint",
            DataType::Int32 => "integer",
            DataType::Int64 => "bigint",
            DataType::Float32 => "real",
            DataType::Float64 => "double precision",
            DataType::Utf8 => "text",
            DataType::Binary => "bytea",
            DataType::Date32 => "date",
            DataType::Timestamp(TimeUnit::Microsecond, None) => "timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => "timestamptz",
            DataType::List(element) => {
                return Some(format!("{}[]", sql_type_name(element.data_type())?));
            }
            _ => return None,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::{ParamValues, ScalarValue};
    use datafusion::sql::parser::DFParserBuilder;

    #[test]
    fn oid_casts_of_parameters_are_found() {
        let statement = crate::pgcompat::ast::parsed(
            "SELECT * FROM pg_type t WHERE t.oid = any($1::oid[]) AND $2::int > 0 AND $3::oid > 0",
        );
        assert_eq!(oid_placeholders(&statement), vec![1, 3]);
    }

    #[tokio::test]
    async fn limit_and_offset_parameters_are_bigints() {
        let ctx = datafusion::prelude::SessionContext::new();
        let plan = ctx
            .state()
            .create_logical_plan("SELECT * FROM (VALUES (1), (2)) LIMIT $1 OFFSET $2")
            .await
            .unwrap();
        let casts = placeholder_casts(&plan);
        assert_eq!(casts.get("$1"), Some(&DataType::Int64));
        assert_eq!(casts.get("$2"), Some(&DataType::Int64));
        // Bound as described, the plan runs.
        let values = [ScalarValue::Int64(Some(1)), ScalarValue::Int64(Some(1))];
        let bound = plan
            .replace_params_with_values(&ParamValues::List(
                values.into_iter().map(Into::into).collect(),
            ))
            .unwrap();
        let rows = ctx
            .execute_logical_plan(bound)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    }

    #[test]
    fn declared_parameters_are_cast() {
        let mut statement = DFParserBuilder::new("SELECT $1, $2 + 1, $3")
            .build()
            .unwrap()
            .parse_statement()
            .unwrap();
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
        cast_declared(&mut statement, &[Some(DataType::Int64), None, Some(list)]).unwrap();
        assert_eq!(
            statement.to_string(),
            "SELECT CAST($1 AS BIGINT), $2 + 1, CAST($3 AS DOUBLE PRECISION[])"
        );
    }
}
