//! `'name'::regproc` as the function's name.
//!
//! datafusion-pg-catalog keeps `regproc` columns (`pg_type.typinput`, `typoutput`...) as the
//! function's name, but turns a `'pg_catalog.array_in'::regproc` literal into a `pg_proc`
//! oid, so pgjdbc's `typinput = 'pg_catalog.array_in'::regproc` (DBeaver asks it of each
//! type it does not know) compared a name with a number and failed. PostgreSQL shows a
//! `regproc` as its name, so the literal becomes the name, without its schema; this runs
//! before datafusion-pg-catalog's rewrites.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{DataType, Expr, Value};

use super::ast::visit_exprs;

/// Rewrites the `regproc` literals of `statement`; true when there were any.
pub fn rewrite(statement: &mut SqlStatement) -> bool {
    let mut changed = false;
    let _ = visit_exprs(statement, &mut |expr| {
        if let Some(name) = regproc_literal(expr) {
            *expr = Expr::Value(Value::SingleQuotedString(name).into());
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// The function name of `'schema.name'::regproc`.
fn regproc_literal(expr: &Expr) -> Option<String> {
    let Expr::Cast {
        expr: inner,
        data_type,
        ..
    } = expr
    else {
        return None;
    };
    let Expr::Value(value) = inner.as_ref() else {
        return None;
    };
    let Value::SingleQuotedString(text) = &value.value else {
        return None;
    };
    let type_name = match data_type {
        DataType::Custom(name, _) => name.to_string().to_ascii_lowercase(),
        _ => return None,
    };
    if type_name != "regproc" && type_name != "pg_catalog.regproc" {
        return None;
    }
    let name = text.rsplit('.').next().unwrap_or(text);
    Some(name.trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regproc_literals_become_names() {
        let mut statement = crate::pgcompat::ast::parsed(
            "SELECT typinput = 'pg_catalog.array_in'::regproc, 'x'::pg_catalog.regproc, \
             'array_in'::text FROM pg_type",
        );
        assert!(rewrite(&mut statement));
        assert_eq!(
            statement.to_string(),
            "SELECT typinput = 'array_in', 'x', 'array_in'::TEXT FROM pg_type"
        );
    }
}
