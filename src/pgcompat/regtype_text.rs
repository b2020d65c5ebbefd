//! `oid::regtype::text`: the type's name, as PostgreSQL shows a `regtype`.
//!
//! datafusion-pg-catalog plans `regtype` as an integer, so `atttypid::regtype::text` (pgcli's
//! column list, many clients' type names) gave `23` where PostgreSQL gives `integer`. A cast
//! of a `regtype` to text becomes `format_type(oid, NULL)`, which names types as `regtype`'s
//! output does. Comparisons of `regtype` values stay numeric, as in PostgreSQL.

use datafusion::sql::sqlparser::ast::{DataType, Expr};

use super::ast::parse_expr;

/// Rewrites `expr` when it is `CAST(CAST(x AS regtype) AS text)` (or `varchar`).
pub fn rewrite(expr: &mut Expr) {
    let Expr::Cast {
        expr: inner,
        data_type: outer,
        ..
    } = expr
    else {
        return;
    };
    if !matches!(
        outer,
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_)
    ) {
        return;
    }
    let Expr::Cast {
        expr: oid,
        data_type: DataType::Custom(name, _),
        ..
    } = inner.as_ref()
    else {
        return;
    };
    let type_name = name.to_string().to_ascii_lowercase();
    if type_name != "regtype" && type_name != "pg_catalog.regtype" {
        return;
    }
    if let Some(named) = parse_expr(&format!("format_type({oid}, NULL)")) {
        *expr = named;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        crate::pgcompat::ast::rewritten(sql, rewrite).to_string()
    }

    #[test]
    fn regtype_text_is_the_type_name() {
        assert_eq!(
            rewritten("SELECT att.atttypid::regtype::text FROM t WHERE x::regtype = 'y'::regtype"),
            "SELECT format_type(att.atttypid, NULL) FROM t WHERE x::regtype = 'y'::regtype"
        );
    }
}
