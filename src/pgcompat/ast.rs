//! Walking and building the SQL syntax tree, for the rewrites made before planning (named
//! arguments, settings, declared parameter types, what DataFusion lacks).

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as SqlStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, Function, VisitMut, VisitorMut, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Calls `visit` on every expression of `statement`, also inside `COPY (query) TO` and under
/// `EXPLAIN`, until it breaks.
pub fn visit_exprs<B>(
    statement: &mut SqlStatement,
    visit: &mut impl FnMut(&mut Expr) -> ControlFlow<B>,
) -> ControlFlow<B> {
    match statement {
        SqlStatement::Statement(s) => visit_expressions_mut(s.as_mut(), visit),
        SqlStatement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Query(query) => visit_expressions_mut(query.as_mut(), visit),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        SqlStatement::Explain(explain) => visit_exprs(&mut explain.statement, visit),
        _ => ControlFlow::Continue(()),
    }
}

/// Runs `visitor` over `statement`, also inside `COPY (query) TO` and under `EXPLAIN`.
pub fn visit_mut<V: VisitorMut>(
    statement: &mut SqlStatement,
    visitor: &mut V,
) -> ControlFlow<V::Break> {
    match statement {
        SqlStatement::Statement(s) => s.as_mut().visit(visitor),
        SqlStatement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Query(query) => query.as_mut().visit(visitor),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        SqlStatement::Explain(explain) => visit_mut(&mut explain.statement, visitor),
        _ => ControlFlow::Continue(()),
    }
}

/// Parses one PostgreSQL expression (a rewrite's replacement); None if it does not parse.
pub fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .ok()
}

/// The function's name without its schema, lower-case (`pg_catalog.Version` → `version`).
pub fn function_name(function: &Function) -> Option<String> {
    let last = function.name.0.last()?.as_ident()?;
    Some(last.value.to_ascii_lowercase())
}

/// `sql` parsed (the rewrites' tests).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub fn parsed(sql: &str) -> SqlStatement {
    datafusion::sql::parser::DFParserBuilder::new(sql)
        .build()
        .unwrap()
        .parse_statement()
        .unwrap()
}

/// `sql` parsed, with `rewrite` applied to each of its expressions (the rewrites' tests).
#[cfg(test)]
pub fn rewritten(sql: &str, rewrite: fn(&mut Expr)) -> SqlStatement {
    let mut statement = parsed(sql);
    let _ = visit_exprs(&mut statement, &mut |e| {
        rewrite(e);
        ControlFlow::<()>::Continue(())
    });
    statement
}

/// `sql` parsed, rewritten by a statement rewrite, as text (the rewrites' tests).
#[cfg(test)]
pub fn rewritten_sql(sql: &str, rewrite: fn(&mut SqlStatement)) -> String {
    let mut statement = parsed(sql);
    rewrite(&mut statement);
    statement.to_string()
}
