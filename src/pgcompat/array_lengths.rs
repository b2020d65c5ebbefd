//! `array_length`, `cardinality` and `array_ndims` as `integer`, as PostgreSQL types them.
//! DataFusion's return an unsigned 64-bit integer, which goes to clients as `numeric`
//! (JDBC's `getInt` of a `numeric`, pandas' `object` column); the call is cast to `int`.

use datafusion::sql::sqlparser::ast::Expr;

use super::ast::{function_name, parse_expr};

/// Rewrites `expr` when it calls one of these functions.
pub fn rewrite(expr: &mut Expr) {
    let Expr::Function(function) = expr else {
        return;
    };
    let lengths = ["array_length", "cardinality", "array_ndims"];
    if !function_name(function).is_some_and(|n| lengths.contains(&n.as_str())) {
        return;
    }
    if let Some(cast) = parse_expr(&format!("{expr}::INT")) {
        *expr = cast;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten;

    #[test]
    fn lengths_are_integers() {
        assert_eq!(
            rewritten(
                "SELECT array_length(a, 1), cardinality(a), f(a) FROM t",
                rewrite
            )
            .to_string(),
            "SELECT array_length(a, 1)::INT, cardinality(a)::INT, f(a) FROM t"
        );
    }
}
