//! PostgreSQL's JSON arrows on our structs and lists: `classify(content)->>'label'`,
//! `detect_objects(content)->0->'score'`. Results of model functions are structs and lists,
//! which clients receive as JSON, so users reach into them as PostgreSQL JSON; DataFusion has
//! no arrow operators ("Operator ->> is not yet supported"). `x -> 'k'` becomes `x['k']`,
//! `x -> n` the element at n counted from 0 as JSON arrays are (`x[n + 1]`), and `->>` the
//! same as text. Arrows on a text holding JSON stay an error: there is no JSON type here.

use datafusion::sql::sqlparser::ast::{BinaryOperator, Expr, Value};

use super::ast::parse_expr;

/// Rewrites `expr` when it is `x -> k` or `x ->> k`.
pub fn rewrite(expr: &mut Expr) {
    let Expr::BinaryOp { left, op, right } = expr else {
        return;
    };
    let as_text = match op {
        BinaryOperator::Arrow => false,
        BinaryOperator::LongArrow => true,
        _ => return,
    };
    let index = match right.as_ref() {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(_) => right.to_string(),
            Value::Number(n, _) => match n.parse::<i64>() {
                Ok(n) => (n + 1).to_string(),
                Err(_) => return,
            },
            _ => return,
        },
        other => format!("({other}) + 1"),
    };
    let access = format!("({left})[{index}]");
    let sql = match as_text {
        true => format!("CAST({access} AS TEXT)"),
        false => access,
    };
    if let Some(rewritten) = parse_expr(&sql) {
        *expr = rewritten;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten;

    fn sql(sql: &str) -> String {
        rewritten(sql, rewrite).to_string()
    }

    #[test]
    fn arrows_take_fields_and_elements() {
        assert_eq!(
            sql("SELECT classify(content) ->> 'label' FROM t"),
            "SELECT CAST((classify(content))['label'] AS TEXT) FROM t"
        );
        assert_eq!(
            sql("SELECT d -> 0 -> 'score', d -> i FROM t"),
            "SELECT ((d)[1])['score'], (d)[(i) + 1] FROM t"
        );
    }
}
