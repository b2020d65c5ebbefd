//! `LIKE pattern ESCAPE 'c'` with an escape character other than backslash (SQLAlchemy's
//! inspector sends `ESCAPE '/'`): DataFusion runs only backslash escapes, so the pattern is
//! rewritten to use them: `c%` → `\%`, `c_` → `\_`, `cc` → `c`, and a backslash of the
//! pattern itself → `\\`.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{Expr, Value, visit_expressions_mut};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Rewrites every LIKE/ILIKE of `statement` that names a non-backslash escape character.
pub fn backslash_escapes(statement: &mut SqlStatement) {
    if let SqlStatement::Statement(s) = statement {
        let _ = visit_expressions_mut(s.as_mut(), |e| {
            rewrite(e);
            ControlFlow::<()>::Continue(())
        });
    }
}

fn rewrite(expr: &mut Expr) {
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
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_expr())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;
    use datafusion::sql::parser::DFParserBuilder;

    async fn matches(value: &str, pattern: &str) -> bool {
        let sql = format!("SELECT '{value}' LIKE '{pattern}' ESCAPE '/'");
        let mut statement = DFParserBuilder::new(sql.as_str())
            .build()
            .unwrap()
            .parse_statement()
            .unwrap();
        backslash_escapes(&mut statement);
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
