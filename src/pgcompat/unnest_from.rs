//! `unnest(array)` in FROM as PostgreSQL reads it: `FROM unnest(a) x` names its column `x`
//! (DataFusion named it `UNNEST(a)`: "No field named x"), `pg_catalog.unnest(a)` is the same
//! function (DataFusion: "table function 'unnest' not found"), and the array may come from
//! the outer query (psql's `\d+`: `array(select 'toast.' || x from pg_catalog.unnest(
//! tc.reloptions) x)`). Each becomes a derived table, `(SELECT unnest(a) AS x) AS x`, which
//! DataFusion plans in all three cases. Several arrays zip as in PostgreSQL, one column
//! each; `WITH ORDINALITY`/`WITH OFFSET` are left as they were.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, TableAlias, TableFactor, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::ast::visit_mut;

/// Rewrites the `unnest` calls in FROM clauses of `statement`.
pub fn rewrite(statement: &mut SqlStatement) {
    let _ = visit_mut(statement, &mut UnnestFrom);
}

struct UnnestFrom;

impl VisitorMut for UnnestFrom {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let Some((arrays, alias)) = unnest_call(factor)
            && let Some(derived) = derived_table(&arrays, alias.as_ref())
        {
            *factor = derived;
        }
        ControlFlow::Continue(())
    }
}

/// The arrays and alias of an `unnest` in FROM, qualified or not.
fn unnest_call(factor: &TableFactor) -> Option<(Vec<Expr>, Option<TableAlias>)> {
    match factor {
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality: false,
            ..
        } => Some((array_exprs.clone(), alias.clone())),
        TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_ordinality: false,
            ..
        } if name
            .0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case("unnest")) =>
        {
            let arrays = args
                .args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some((arrays, alias.clone()))
        }
        _ => None,
    }
}

/// `(SELECT unnest(a) AS c, ...) AS alias`: the columns named by the alias's column list,
/// else a single one after the alias (`unnest` without one), as PostgreSQL names them.
fn derived_table(arrays: &[Expr], alias: Option<&TableAlias>) -> Option<TableFactor> {
    let table = alias.map_or_else(|| Ident::new("unnest"), |a| a.name.clone());
    let columns: Vec<Ident> = match alias.map(|a| a.columns.as_slice()) {
        Some(columns) if !columns.is_empty() => columns.iter().map(|c| c.name.clone()).collect(),
        _ if arrays.len() == 1 => vec![table.clone()],
        _ => return None,
    };
    if columns.len() != arrays.len() {
        return None;
    }
    let items: Vec<String> = arrays
        .iter()
        .zip(&columns)
        .map(|(array, column)| format!("unnest({array}) AS {column}"))
        .collect();
    let sql = format!("(SELECT {}) AS {table}", items.join(", "));
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut parser| parser.parse_table_factor())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten_sql;

    fn rewritten(sql: &str) -> String {
        rewritten_sql(sql, rewrite)
    }

    #[test]
    fn the_alias_names_the_column() {
        assert_eq!(
            rewritten("SELECT 'toast.' || x FROM pg_catalog.unnest(t.opts) x"),
            "SELECT 'toast.' || x FROM (SELECT unnest(t.opts) AS x) AS x"
        );
        assert_eq!(
            rewritten("SELECT * FROM unnest(ARRAY[1, 2]) AS t(n)"),
            "SELECT * FROM (SELECT unnest(ARRAY[1, 2]) AS n) AS t"
        );
        assert_eq!(
            rewritten("SELECT unnest FROM unnest(ARRAY[1])"),
            "SELECT unnest FROM (SELECT unnest(ARRAY[1]) AS unnest) AS unnest"
        );
    }

    #[test]
    fn ordinality_stays() {
        let sql = "SELECT * FROM UNNEST(ARRAY[1]) WITH ORDINALITY AS t (n, i)";
        assert_eq!(rewritten(sql), sql);
    }
}
