//! `substring(text FROM 'pattern')`, PostgreSQL's regular-expression form (pgAdmin reads
//! table options with `substring(array_to_string(reloptions, ',') FROM 'fillfactor=([0-9]*)')`).
//!
//! DataFusion plans every `substring(x FROM y)` as a start position. When `y` is a string
//! literal that is not a number, the call is the pattern form: it becomes
//! `regexp_match(x, pattern)[1]`, which is, as in PostgreSQL, the first parenthesized group,
//! or the whole match when the pattern has none, and NULL without a match.

use datafusion::sql::sqlparser::ast::{Expr, Value};

use super::ast::parse_expr;

/// Rewrites `expr` when it is `substring(x FROM 'pattern')`.
pub fn rewrite(expr: &mut Expr) {
    let Expr::Substring {
        expr: text,
        substring_from: Some(from),
        substring_for: None,
        special: false,
        ..
    } = expr
    else {
        return;
    };
    let Expr::Value(value) = from.as_ref() else {
        return;
    };
    let Value::SingleQuotedString(pattern) = &value.value else {
        return;
    };
    if pattern.trim().parse::<i64>().is_ok() {
        return;
    }
    let pattern = pattern.replace('\'', "''");
    if let Some(matched) = parse_expr(&format!("regexp_match({text}, '{pattern}')[1]")) {
        *expr = matched;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        crate::pgcompat::ast::rewritten(sql, rewrite).to_string()
    }

    #[test]
    fn a_pattern_becomes_its_first_group() {
        assert_eq!(
            rewritten("SELECT substring(o FROM 'fillfactor=([0-9]*)') FROM t"),
            "SELECT regexp_match(o, 'fillfactor=([0-9]*)')[1] FROM t"
        );
    }

    #[test]
    fn positions_stay() {
        for sql in [
            "SELECT SUBSTRING(o FROM 2) FROM t",
            "SELECT SUBSTRING(o FROM '2') FROM t",
            "SELECT SUBSTRING(o FROM 'a' FOR '#') FROM t",
        ] {
            assert_eq!(rewritten(sql), sql);
        }
    }
}
