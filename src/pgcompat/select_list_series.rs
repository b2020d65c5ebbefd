//! `generate_series(..)` as a select item, which PostgreSQL runs as a set-returning
//! function (one row per value: `SELECT generate_series(1, 3)` gives three rows; psqlODBC's
//! `SQLForeignKeys` numbers key columns so). DataFusion's scalar `generate_series` gives one
//! list instead, so the item becomes `unnest(generate_series(..))`, named `generate_series`
//! unless it has a name. Only a whole select item is rewritten: a series inside a larger
//! expression stays DataFusion's list.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, VisitorMut};

use super::ast::{function_name, parse_expr, visit_mut};

const SERIES: &str = "generate_series";

/// Rewrites the `generate_series` select items of every query in `statement`.
pub fn rewrite(statement: &mut SqlStatement) {
    let _ = visit_mut(statement, &mut SelectListSeries);
}

struct SelectListSeries;

impl VisitorMut for SelectListSeries {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = query.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        for item in &mut select.projection {
            match item {
                SelectItem::UnnamedExpr(expr) if is_series(expr) => {
                    let expr = unnested(expr);
                    let alias = Ident::new(SERIES);
                    *item = SelectItem::ExprWithAlias { expr, alias };
                }
                SelectItem::ExprWithAlias { expr, .. } if is_series(expr) => *expr = unnested(expr),
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }
}

fn is_series(expr: &Expr) -> bool {
    matches!(expr, Expr::Function(f) if function_name(f).is_some_and(|n| n == SERIES))
}

/// `unnest(expr)`, or `expr` itself should that not parse.
fn unnested(expr: &Expr) -> Expr {
    parse_expr(&format!("unnest({expr})")).unwrap_or_else(|| expr.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten_sql;

    fn rewritten(sql: &str) -> String {
        rewritten_sql(sql, rewrite)
    }

    #[test]
    fn a_series_item_is_unnested() {
        assert_eq!(
            rewritten("SELECT generate_series(1, 3)"),
            "SELECT unnest(generate_series(1, 3)) AS generate_series"
        );
        assert_eq!(
            rewritten("SELECT x FROM (SELECT generate_series(a, b) AS i, x FROM t) AS r"),
            "SELECT x FROM (SELECT unnest(generate_series(a, b)) AS i, x FROM t) AS r"
        );
    }

    #[test]
    fn other_uses_stay() {
        let sql = "SELECT cardinality(generate_series(1, 3)) FROM generate_series(1, 2)";
        assert_eq!(rewritten(sql), sql);
    }
}
