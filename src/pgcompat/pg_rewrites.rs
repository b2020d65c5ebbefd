//! What datafusion-pg-catalog's statement rules miss: the session-user keywords, and the
//! catalog tables we add, qualified. Both run beside its rules, in the order of
//! [`crate::statement::rewrites`].

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, ObjectNamePart, Query, SelectItem, SetExpr, Statement, Value,
    VisitMut, VisitorMut, visit_relations_mut,
};

use super::catalog::ADDED;

/// Rewrites the session-user keywords of `statement` (see [`SessionUsers`]).
pub fn session_users(statement: &mut Statement) {
    let _ = statement.visit(&mut SessionUsers);
}

/// `user` and `current_role`, which PostgreSQL reserves for `current_user`, become it (it
/// read them as columns: "No field named user"); a select item that is one of these
/// keywords, or `current_user`, `session_user`, `current_catalog`, `current_schema`, is named
/// after it, since the parser's rule turns them into calls of other names (`SELECT
/// current_user, session_user` gave two `session_user` columns).
struct SessionUsers;

const USER_KEYWORDS: [&str; 6] = [
    "user",
    "current_role",
    "current_user",
    "session_user",
    "current_catalog",
    "current_schema",
];

impl VisitorMut for SessionUsers {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                let SelectItem::UnnamedExpr(expr) = item else {
                    continue;
                };
                if let Some(keyword) = user_keyword(expr) {
                    let alias = Ident::with_quote('"', keyword);
                    let expr = std::mem::replace(expr, Expr::value(Value::Null));
                    *item = SelectItem::ExprWithAlias { expr, alias };
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if user_keyword(expr).is_some_and(|k| k == "user" || k == "current_role")
            && let Some(current_user) = super::ast::parse_expr("current_user")
        {
            *expr = current_user;
        }
        ControlFlow::Continue(())
    }
}

/// The keyword `expr` is, if it is one of [`USER_KEYWORDS`] (unquoted, without parentheses).
fn user_keyword(expr: &Expr) -> Option<String> {
    let name = match expr {
        Expr::Identifier(ident) if ident.quote_style.is_none() => ident.value.to_ascii_lowercase(),
        Expr::Function(f) if matches!(f.args, FunctionArguments::None) => {
            super::ast::function_name(f)?
        }
        _ => return None,
    };
    USER_KEYWORDS.contains(&name.as_str()).then_some(name)
}

/// `pg_user` and the other tables we add to `pg_catalog`, unqualified, qualified: PostgreSQL
/// finds `pg_catalog` first whatever the search path, and the parser's own rule knows only
/// its tables.
pub fn qualify_added_tables(statement: &mut Statement) {
    let _ = visit_relations_mut(statement, |name| {
        if let [part] = name.0.as_slice()
            && let Some(ident) = part.as_ident()
            && ident.quote_style.is_none()
            && ADDED.iter().any(|t| t.eq_ignore_ascii_case(&ident.value))
        {
            name.0
                .insert(0, ObjectNamePart::Identifier(Ident::new("pg_catalog")));
        }
        ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use crate::statement::rewrites::tests::rewritten;

    #[test]
    fn user_keywords_are_the_session_user_and_name_their_columns() {
        assert_eq!(
            rewritten("SELECT current_user, user, x FROM t WHERE user = 'a'"),
            "SELECT session_user AS \"current_user\", session_user AS \"user\", x FROM t \
             WHERE session_user = 'a'"
        );
    }

    #[test]
    fn added_catalog_tables_are_qualified() {
        assert_eq!(
            rewritten("SELECT usename FROM pg_user"),
            "SELECT usename FROM pg_catalog.pg_user"
        );
    }
}
