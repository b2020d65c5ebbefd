//! SQLAlchemy's `get_columns` (which pandas, Superset and Alembic call) asks for each
//! column's default (`pg_attrdef`), identity options (`pg_sequence`) and a collation other
//! than its type's (`pg_collation`), each as `CASE WHEN <cond> THEN (correlated subquery)
//! ELSE NULL END`. DataFusion cannot plan a correlated subquery inside CASE. mediasql's
//! columns have no defaults, no identity and no collation of their own, so every such CASE is
//! NULL, and it is rewritten to NULL before planning.
//!
//! `col_description(table, column)`, the column's comment, is NULL too (no column has one);
//! it is rewritten as well, since Metabase passes its table as a `::regclass` cast of an
//! expression, which cannot be planned.

use datafusion::sql::sqlparser::ast::{Expr, SetExpr, TableFactor, Value};

use super::ast::{function_name, parse_expr};

/// Catalogs with no rows about mediasql's columns.
const NOTHING_ABOUT_COLUMNS: &[&str] = &["pg_attrdef", "pg_sequence", "pg_collation"];

/// Rewrites `expr` to NULL when it is a CASE whose every result is a subquery over one of
/// [`NOTHING_ABOUT_COLUMNS`] and whose ELSE is NULL, or a `col_description` call.
pub fn rewrite(expr: &mut Expr) {
    if let Expr::Function(function) = expr
        && function_name(function).as_deref() == Some("col_description")
        && let Some(null) = parse_expr("CAST(NULL AS TEXT)")
    {
        *expr = null;
        return;
    }
    let Expr::Case {
        conditions,
        else_result,
        ..
    } = expr
    else {
        return;
    };
    let else_null = else_result.as_deref().is_none_or(is_null);
    let only_empty = !conditions.is_empty()
        && conditions
            .iter()
            .all(|when| reads_nothing_about_columns(&when.result));
    if else_null
        && only_empty
        && let Some(null) = parse_expr("NULL")
    {
        *expr = null;
    }
}

fn is_null(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if v.value == Value::Null)
}

/// A scalar subquery whose FROM starts at one of [`NOTHING_ABOUT_COLUMNS`].
fn reads_nothing_about_columns(expr: &Expr) -> bool {
    let Expr::Subquery(query) = expr else {
        return false;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let [from] = select.from.as_slice() else {
        return false;
    };
    let TableFactor::Table { name, .. } = &from.relation else {
        return false;
    };
    let table = name.0.last().and_then(|part| part.as_ident());
    let schema_ok = match name.0.as_slice() {
        [_] => true,
        [schema, _] => schema
            .as_ident()
            .is_some_and(|s| s.value.eq_ignore_ascii_case("pg_catalog")),
        _ => false,
    };
    schema_ok
        && table.is_some_and(|t| {
            NOTHING_ABOUT_COLUMNS
                .iter()
                .any(|c| t.value.eq_ignore_ascii_case(c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        crate::pgcompat::ast::rewritten(sql, rewrite).to_string()
    }

    #[test]
    fn column_defaults_and_identity_are_null() {
        assert_eq!(
            rewritten(
                "SELECT a.attname, CASE WHEN a.atthasdef THEN (SELECT pg_get_expr(d.adbin, \
                 d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid) ELSE NULL \
                 END AS dflt, CASE WHEN a.attidentity <> '' THEN (SELECT json_build_object('a', \
                 s.seqstart) FROM pg_sequence s WHERE s.seqrelid = a.attrelid) END \
                 FROM pg_attribute a"
            ),
            "SELECT a.attname, NULL AS dflt, NULL FROM pg_attribute a"
        );
    }

    #[test]
    fn column_comments_are_null() {
        assert_eq!(
            rewritten("SELECT col_description(CAST(format('%I', t) AS regclass), 1) FROM x"),
            "SELECT CAST(NULL AS TEXT) FROM x"
        );
    }

    #[test]
    fn other_cases_stay() {
        for sql in [
            "SELECT CASE WHEN x THEN (SELECT 1 FROM pg_attrdef) ELSE 2 END FROM t",
            "SELECT CASE WHEN x THEN (SELECT 1 FROM pg_type) END FROM t",
            "SELECT CASE WHEN x THEN (SELECT 1 FROM other.pg_attrdef) END FROM t",
        ] {
            assert_eq!(rewritten(sql), sql);
        }
    }
}
