//! `ARRAY(subquery)`, PostgreSQL's array of a subquery's rows, which DataFusion reads as a
//! call of a function named `array`.
//!
//! `x = ANY(ARRAY(subquery))` (pgAdmin's role check on connect) is `x = ANY(subquery)`;
//! elsewhere `ARRAY(subquery)` becomes `(SELECT array_agg(v) FROM (subquery) AS a(v))`.
//! Rows come in the subquery's order only where DataFusion keeps it through the aggregate.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArguments, Query, SetExpr, Statement, TableAlias,
    TableAliasColumnDef, TableFactor, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::ast::{function_name, visit_mut};

/// Rewrites every `ARRAY(subquery)` of `statement`.
pub fn rewrite(statement: &mut SqlStatement) {
    let _ = visit_mut(statement, &mut ArraySubqueries);
}

struct ArraySubqueries;

impl VisitorMut for ArraySubqueries {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
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
            && let Some(aggregated) = aggregated(query.clone())
        {
            *expr = aggregated;
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
    use crate::pgcompat::ast::parsed;

    fn rewritten(sql: &str) -> String {
        let mut statement = parsed(sql);
        rewrite(&mut statement);
        statement.to_string()
    }

    #[test]
    fn any_of_an_array_subquery_is_any_of_the_subquery() {
        assert_eq!(
            rewritten("SELECT 'a' = ANY(ARRAY(SELECT name FROM t))"),
            "SELECT 'a' = ANY(SELECT name FROM t)"
        );
    }

    #[test]
    fn an_array_subquery_is_aggregated() {
        assert_eq!(
            rewritten("SELECT ARRAY(SELECT name FROM t) AS names"),
            "SELECT (SELECT array_agg(__array.__value) FROM (SELECT name FROM t) AS __array \
             (__value)) AS names"
        );
    }
}
