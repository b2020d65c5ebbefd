//! `generate_subscripts(array, 1)`, the set-returning function SQLAlchemy pairs with
//! `unnest(conkey)` to number key columns: DataFusion has no such function, so the call is
//! rewritten to `unnest(generate_series(1, cardinality(array)))`, which DataFusion zips with
//! the other `unnest` of the select list as PostgreSQL does.

use datafusion::sql::sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments};

use super::ast::{function_name, parse_expr};

/// Rewrites `expr` when it is `generate_subscripts(array, 1)`.
pub fn rewrite(expr: &mut Expr) {
    let Expr::Function(function) = expr else {
        return;
    };
    let is_it = function_name(function).is_some_and(|n| n == "generate_subscripts");
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
    if let Some(rewritten) =
        parse_expr(&format!("unnest(generate_series(1, cardinality({array})))"))
    {
        *expr = rewritten;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten;

    #[test]
    fn becomes_an_unnest_of_a_series() {
        let statement = rewritten("SELECT generate_subscripts(k, 1) AS ord FROM t", rewrite);
        assert_eq!(
            statement.to_string(),
            "SELECT unnest(generate_series(1, cardinality(k))) AS ord FROM t"
        );
    }
}
