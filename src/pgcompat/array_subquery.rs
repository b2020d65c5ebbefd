//! `ARRAY(subquery)`, PostgreSQL's array of a subquery's rows, which DataFusion reads as a
//! call of a function named `array`.
//!
//! `x = ANY(ARRAY(subquery))` (pgAdmin's role check on connect) is `x = ANY(subquery)`, and
//! `(SELECT e)` of one value and nothing more is `(e)` (pgAdmin's `(SELECT ARRAY(...))`,
//! which DataFusion could not decorrelate two levels deep).
//! Elsewhere a plain one-item SELECT aggregates in place, `ARRAY(SELECT e FROM f WHERE w
//! ORDER BY o)` → `(SELECT array_agg(e ORDER BY o) FROM f WHERE w)`, which DataFusion can
//! decorrelate when `w` refers to the outer query (pgAdmin's inherited tables, psql's
//! policy roles); any other subquery becomes `(SELECT array_agg(v) FROM (subquery) AS a(v))`,
//! whose rows keep the subquery's order only where DataFusion keeps it through the
//! aggregate. No rows give an empty array, as in PostgreSQL.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArgumentList, FunctionArguments, GroupByExpr, OrderBy, OrderByExpr, OrderByKind, Query,
    SelectItem, SetExpr, Statement, TableAlias, TableAliasColumnDef, TableFactor, Value,
    VisitorMut, visit_expressions,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::ast::{function_name, parse_expr, visit_mut};

/// Rewrites every `ARRAY(subquery)` of `statement`.
pub fn rewrite(statement: &mut SqlStatement) {
    let _ = visit_mut(statement, &mut ArraySubqueries);
}

struct ArraySubqueries;

impl VisitorMut for ArraySubqueries {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Subquery(query) = expr
            && let Some(value) = bare_value(query)
        {
            *expr = Expr::Nested(Box::new(value));
        }
        if let Expr::AnyOp {
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } = expr
            && let Some(query) = array_subquery(right)
        {
            **right = Expr::Subquery(Box::new(query.clone()));
            return ControlFlow::Continue(());
        }
        if let Some(query) = array_subquery(expr)
            && let Some(aggregated) = in_place(query).or_else(|| aggregated(query.clone()))
        {
            *expr = or_empty(aggregated);
        }
        ControlFlow::Continue(())
    }
}

/// The subquery of `ARRAY(subquery)`.
fn array_subquery(expr: &Expr) -> Option<&Query> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let FunctionArguments::Subquery(query) = &function.args else {
        return None;
    };
    (function_name(function).as_deref() == Some("array")).then_some(query.as_ref())
}

/// `(SELECT array_agg(e ORDER BY o) FROM f WHERE w)` of `SELECT e FROM f WHERE w ORDER BY
/// o`; None for other queries (grouped, distinct, limited, with CTEs, or `e` an aggregate).
fn in_place(query: &Query) -> Option<Expr> {
    if query.with.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let ungrouped = matches!(&select.group_by,
        GroupByExpr::Expressions(exprs, modifiers) if exprs.is_empty() && modifiers.is_empty());
    if select.distinct.is_some() || select.having.is_some() || !ungrouped {
        return None;
    }
    let (value, alias) = match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(e)] => (e, None),
        [SelectItem::ExprWithAlias { expr, alias }] => (expr, Some(alias.value.as_str())),
        _ => return None,
    };
    if calls_aggregate(value) {
        return None;
    }
    let order = match &query.order_by {
        None => Vec::new(),
        Some(OrderBy {
            kind: OrderByKind::Expressions(list),
            ..
        }) => list
            .iter()
            .map(|o| OrderByExpr {
                expr: if names_item(&o.expr, alias) {
                    value.clone()
                } else {
                    o.expr.clone()
                },
                ..o.clone()
            })
            .collect(),
        Some(_) => return None,
    };
    let Expr::Function(mut call) = parse_expr("array_agg(x)")? else {
        return None;
    };
    call.args = FunctionArguments::List(FunctionArgumentList {
        duplicate_treatment: None,
        args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(value.clone()))],
        clauses: if order.is_empty() {
            vec![]
        } else {
            vec![FunctionArgumentClause::OrderBy(order)]
        },
    });
    let mut select = select.clone();
    select.projection = vec![SelectItem::UnnamedExpr(Expr::Function(call))];
    let mut query = query.clone();
    query.body = Box::new(SetExpr::Select(select));
    query.order_by = None;
    Some(Expr::Subquery(Box::new(query)))
}

/// `COALESCE(aggregated, make_array())`: `array_agg` of no rows is NULL, `ARRAY()` of none
/// an empty array (of the aggregate's type, to which DataFusion coerces `make_array()`).
fn or_empty(aggregated: Expr) -> Expr {
    let Some(Expr::Function(mut call)) = parse_expr("COALESCE(NULL, make_array())") else {
        return aggregated;
    };
    if let FunctionArguments::List(list) = &mut call.args
        && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) = list.args.first_mut()
    {
        *first = aggregated;
    }
    Expr::Function(call)
}

/// `e` of `(SELECT e)`, a subquery of one value and nothing else (pgAdmin wraps its
/// `ARRAY(...)` so); None if it has anything more, or `e` aggregates or returns sets.
fn bare_value(query: &Query) -> Option<Expr> {
    if query.with.is_some()
        || query.order_by.is_some()
        || query.limit_clause.is_some()
        || query.fetch.is_some()
    {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let ungrouped = matches!(&select.group_by,
        GroupByExpr::Expressions(exprs, modifiers) if exprs.is_empty() && modifiers.is_empty());
    if !select.from.is_empty()
        || select.selection.is_some()
        || select.distinct.is_some()
        || select.having.is_some()
        || !ungrouped
    {
        return None;
    }
    let value = match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(e)] | [SelectItem::ExprWithAlias { expr: e, .. }] => e,
        _ => return None,
    };
    (!calls_any(value, &["unnest", "generate_series"]) && !calls_aggregate(value))
        .then(|| value.clone())
}

/// Whether an ORDER BY item names the select item: by position 1 or by its alias.
fn names_item(expr: &Expr, alias: Option<&str>) -> bool {
    match expr {
        Expr::Value(v) => matches!(&v.value, Value::Number(n, _) if n == "1"),
        Expr::Identifier(ident) => alias.is_some_and(|a| a == ident.value),
        _ => false,
    }
}

/// Whether `expr` calls an aggregate (which `array_agg` cannot take as its argument).
fn calls_aggregate(expr: &Expr) -> bool {
    const AGGREGATES: &[&str] = &[
        "count",
        "sum",
        "min",
        "max",
        "avg",
        "array_agg",
        "string_agg",
        "bool_and",
        "bool_or",
        "every",
        "json_agg",
        "first_value",
        "last_value",
    ];
    calls_any(expr, AGGREGATES)
}

/// Whether `expr` calls any of the functions `names`.
fn calls_any(expr: &Expr, names: &[&str]) -> bool {
    visit_expressions(expr, |e| match e {
        Expr::Function(f) if function_name(f).is_some_and(|n| names.contains(&n.as_str())) => {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// `(SELECT array_agg(v) FROM (query) AS a(v))`.
fn aggregated(query: Query) -> Option<Expr> {
    let statement = Parser::parse_sql(
        &PostgreSqlDialect {},
        "SELECT array_agg(__array.__value) FROM (SELECT 1) AS __array",
    )
    .ok()?
    .pop()?;
    let Statement::Query(mut outer) = statement else {
        return None;
    };
    let SetExpr::Select(select) = outer.body.as_mut() else {
        return None;
    };
    let from = select.from.first_mut()?;
    let TableFactor::Derived {
        subquery, alias, ..
    } = &mut from.relation
    else {
        return None;
    };
    **subquery = query;
    *alias = Some(TableAlias {
        explicit: true,
        name: "__array".into(),
        columns: vec![TableAliasColumnDef::from_name("__value")],
        at: None,
    });
    Some(Expr::Subquery(outer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten_sql;

    fn rewritten(sql: &str) -> String {
        rewritten_sql(sql, rewrite)
    }

    #[test]
    fn any_of_an_array_subquery_is_any_of_the_subquery() {
        assert_eq!(
            rewritten("SELECT 'a' = ANY(ARRAY(SELECT name FROM t))"),
            "SELECT 'a' = ANY(SELECT name FROM t)"
        );
    }

    #[test]
    fn a_plain_array_subquery_aggregates_in_place() {
        assert_eq!(
            rewritten(
                "SELECT ARRAY(SELECT quote_ident(c.relname) AS n FROM c WHERE c.x = t.y \
                 ORDER BY n) FROM t"
            ),
            "SELECT COALESCE((SELECT array_agg(quote_ident(c.relname) ORDER BY \
             quote_ident(c.relname)) FROM c WHERE c.x = t.y), make_array()) FROM t"
        );
    }

    #[test]
    fn a_subquery_of_one_value_is_that_value() {
        assert_eq!(
            rewritten("SELECT (SELECT ARRAY(SELECT n FROM c WHERE c.x = t.y)) AS a FROM t"),
            "SELECT (COALESCE((SELECT array_agg(n) FROM c WHERE c.x = t.y), make_array())) AS a \
             FROM t"
        );
        assert_eq!(
            rewritten("SELECT (SELECT count(*)), (SELECT 1 WHERE false)"),
            "SELECT (SELECT count(*)), (SELECT 1 WHERE false)"
        );
    }

    #[test]
    fn an_array_subquery_is_aggregated() {
        assert_eq!(
            rewritten("SELECT ARRAY(SELECT DISTINCT name FROM t) AS names"),
            "SELECT COALESCE((SELECT array_agg(__array.__value) FROM (SELECT DISTINCT name FROM \
             t) AS __array (__value)), make_array()) AS names"
        );
    }
}
