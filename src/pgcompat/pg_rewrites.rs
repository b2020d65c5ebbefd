//! datafusion-pg-catalog's statement rewrites, applied to statements DataFusion parsed.
//!
//! Its `PostgresCompatibilityParser::parse` also runs `RemoveSubqueryFromProjection`, which
//! replaces every select-list subquery it takes for correlated with NULL: `SELECT relname,
//! (SELECT nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) FROM pg_class c` gave
//! NULL namespaces, silently (DBeaver's and pgAdmin's property queries showed blanks).
//! DataFusion plans such subqueries (with [`super::scalar_subqueries`] and
//! [`super::select_list_subqueries`]), so that rule is left out here, and the others run in
//! the parser's order. Those DataFusion still cannot plan become NULL after its optimizer
//! has tried ([`super::unplanned_subqueries`]).
//!
//! The parser also swaps a few client queries it cannot rewrite for simplified ones, by
//! their tokens. Where its whole output differs from ours with that one rule added, such a
//! swap happened, and its output is taken.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, ObjectNamePart, Query, SelectItem, SetExpr, Statement, Value,
    VisitMut, VisitorMut, visit_relations_mut,
};
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, CurrentUserVariableToSessionUserFunctionCall,
    FixArrayLiteral, FixVersionColumnName, PrependUnqualifiedPgTableName,
    RemoveSubqueryFromProjection, ResolveUnqualifiedIdentifier, RewriteArrayAnyAllOperation,
    RewritePgCatalogOperator, RewriteRegCastToSubquery, SqlStatementRewriteRule,
    StripCallableQualifier, StripCollate,
};

use super::catalog::ADDED;

/// The rewrites, built once per engine (the regclass templates are parsed SQL), and the
/// compatibility parser for what DataFusion's parser refuses.
#[derive(Debug)]
pub struct PgRewrites {
    rules: Vec<Box<dyn SqlStatementRewriteRule>>,
    parser: PostgresCompatibilityParser,
}

impl Default for PgRewrites {
    fn default() -> Self {
        Self {
            rules: vec![
                Box::new(AliasDuplicatedProjectionRewrite),
                Box::new(ResolveUnqualifiedIdentifier),
                Box::new(RewriteArrayAnyAllOperation),
                Box::new(PrependUnqualifiedPgTableName),
                Box::new(StripCallableQualifier),
                Box::new(FixArrayLiteral),
                Box::new(CurrentUserVariableToSessionUserFunctionCall),
                Box::new(StripCollate),
                Box::new(RewritePgCatalogOperator),
                Box::new(RewriteRegCastToSubquery::new()),
                Box::new(FixVersionColumnName),
            ],
            parser: PostgresCompatibilityParser::new(),
        }
    }
}

impl PgRewrites {
    /// `statement` with every rewrite applied.
    pub fn apply(&self, mut statement: Statement) -> Statement {
        let _ = statement.visit(&mut SessionUsers);
        qualify_added_tables(self.parser_rules(statement))
    }

    /// `statement` with the compatibility parser's rules applied.
    fn parser_rules(&self, statement: Statement) -> Statement {
        self.rules.iter().fold(statement, |s, rule| rule.rewrite(s))
    }

    /// `statement` rewritten, also the query under `EXPLAIN` (so that `EXPLAIN SELECT ...
    /// FROM pg_class` finds the table as the statement itself does); DataFusion's own
    /// statements (`COPY`, `CREATE EXTERNAL TABLE`) are left as they are.
    pub fn apply_within(&self, statement: SqlStatement) -> SqlStatement {
        match statement {
            SqlStatement::Statement(s) => SqlStatement::Statement(Box::new(self.apply(*s))),
            SqlStatement::Explain(mut explain) => {
                explain.statement = Box::new(self.apply_within(*explain.statement));
                SqlStatement::Explain(explain)
            }
            other => other,
        }
    }

    /// `statement` (parsed from `sql`) rewritten, or the compatibility parser's substitute
    /// when `sql` is one of the client queries it swaps.
    pub fn rewrite(&self, sql: &str, statement: Statement) -> Statement {
        match self.swapped(sql, &statement) {
            Some(theirs) => qualify_added_tables(theirs),
            None => self.apply(statement),
        }
    }

    /// The compatibility parser's output for `sql` when it differs from what its rules make
    /// of `statement`: it swapped the query for another.
    fn swapped(&self, sql: &str, statement: &Statement) -> Option<Statement> {
        let mut theirs = self.parser.parse(sql).ok()?;
        let theirs = theirs.pop().filter(|_| theirs.is_empty())?;
        let unswapped = RemoveSubqueryFromProjection.rewrite(self.parser_rules(statement.clone()));
        (theirs != unswapped).then_some(theirs)
    }

    /// `sql` parsed by the compatibility parser (which knows `ABORT`, for one), all of its
    /// rewrites applied: for statements DataFusion's parser refuses.
    pub fn parse_refused(&self, sql: &str) -> Result<Vec<Statement>, ParserError> {
        self.parser.parse(sql)
    }
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
fn qualify_added_tables(mut statement: Statement) -> Statement {
    let _ = visit_relations_mut(&mut statement, |name| {
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
    statement
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::parsed;

    fn rewritten(sql: &str) -> String {
        let SqlStatement::Statement(statement) = parsed(sql) else {
            panic!("not a plain statement: {sql}");
        };
        PgRewrites::default().rewrite(sql, *statement).to_string()
    }

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
