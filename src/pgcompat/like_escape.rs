//! `LIKE pattern ESCAPE 'c'` with an escape character other than backslash (SQLAlchemy's
//! inspector sends `ESCAPE '/'`): DataFusion runs only backslash escapes, so the pattern is
//! rewritten to use them: `c%` → `\%`, `c_` → `\_`, `cc` → `c`, and a backslash of the
//! pattern itself → `\\`.

use datafusion::sql::sqlparser::ast::{Expr, Value};

use super::ast::parse_expr;

/// Rewrites `expr` when it is a LIKE/ILIKE naming a non-backslash escape character.
pub fn rewrite(expr: &mut Expr) {
    let (Expr::Like {
        pattern,
        escape_char,
        ..
    }
    | Expr::ILike {
        pattern,
        escape_char,
        ..
    }) = expr
    else {
        return;
    };
    let Some(escape) = escape_char.as_ref().and_then(|v| match &v.value {
        Value::SingleQuotedString(s) if s.chars().count() == 1 && s != "\\" => s.chars().next(),
        _ => None,
    }) else {
        return;
    };
    let Some(rewritten) = rewritten_pattern(pattern, escape) else {
        return;
    };
    **pattern = rewritten;
    *escape_char = None;
}

fn rewritten_pattern(pattern: &Expr, escape: char) -> Option<Expr> {
    let quote = |s: String| format!("'{}'", s.replace('\'', "''"));
    let e = escape.to_string();
    // A pair of escape characters stands for the character itself: kept aside first.
    let kept = "\u{1}";
    let sql = format!(
        "replace(replace(replace(replace(replace(({pattern}), '\\', '\\\\'), {ee}, '{kept}'), \
         {ep}, '\\%'), {eu}, '\\_'), '{kept}', {e})",
        ee = quote(format!("{e}{e}")),
        ep = quote(format!("{e}%")),
        eu = quote(format!("{e}_")),
        e = quote(e.clone()),
    );
    parse_expr(&sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten;
    use datafusion::prelude::SessionContext;

    async fn matches(value: &str, pattern: &str) -> bool {
        let sql = format!("SELECT '{value}' LIKE '{pattern}' ESCAPE '/'");
        let statement = rewritten(&sql, rewrite);
        let ctx = SessionContext::new();
        let plan = ctx.state().statement_to_plan(statement).await.unwrap();
        let batches = ctx
            .execute_logical_plan(plan)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let column = batches[0].column(0);
        let values = datafusion::common::cast::as_boolean_array(column).unwrap();
        values.value(0)
    }

    #[tokio::test]
    async fn other_escape_characters_mean_what_they_say() {
        assert!(matches("pg_toast", "pg/_%").await);
        assert!(!matches("pgxtoast", "pg/_%").await);
        assert!(matches("50%", "50/%").await);
        assert!(!matches("500", "50/%").await);
        assert!(matches("a/b", "a//b").await);
        assert!(matches("a\\b", "a\\b").await);
    }
}
