//! `generate_subscripts(array, 1)`, the set-returning function SQLAlchemy pairs with
//! `unnest(conkey)` to number key columns: DataFusion has no such function, so the call is
//! rewritten to `unnest(generate_series(1, cardinality(array)))`, which DataFusion zips with
//! the other `unnest` of the select list as PostgreSQL does.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Rewrites every `generate_subscripts(array, 1)` of `statement`.
pub fn rewrite_generate_subscripts(statement: &mut SqlStatement) {
    if let SqlStatement::Statement(s) = statement {
        let _ = visit_expressions_mut(s.as_mut(), |e| {
            rewrite(e);
            ControlFlow::<()>::Continue(())
        });
    }
}

fn rewrite(expr: &mut Expr) {
    let Expr::Function(function) = expr else {
        return;
    };
    let is_it = function
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| i.value.eq_ignore_ascii_case("generate_subscripts"));
    let FunctionArguments::List(list) = &function.args else {
        return;
    };
    let [
        FunctionArg::Unnamed(FunctionArgExpr::Expr(array)),
        FunctionArg::Unnamed(_),
    ] = list.args.as_slice()
    else {
        return;
    };
    if !is_it {
        return;
    }
    let sql = format!("unnest(generate_series(1, cardinality({array})))");
    if let Ok(rewritten) = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_expr())
    {
        *expr = rewritten;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParserBuilder;

    #[test]
    fn becomes_an_unnest_of_a_series() {
        let mut statement = DFParserBuilder::new("SELECT generate_subscripts(k, 1) AS ord FROM t")
            .build()
            .unwrap()
            .parse_statement()
            .unwrap();
        rewrite_generate_subscripts(&mut statement);
        assert_eq!(
            statement.to_string(),
            "SELECT unnest(generate_series(1, cardinality(k))) AS ord FROM t"
        );
    }
}
