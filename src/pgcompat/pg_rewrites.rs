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
use datafusion::sql::sqlparser::ast::{Ident, ObjectNamePart, Statement, visit_relations_mut};
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
    pub fn apply(&self, statement: Statement) -> Statement {
        qualify_added_tables(self.parser_rules(statement))
    }

    /// `statement` with the compatibility parser's rules applied (ours not yet).
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
        let ours = self.parser_rules(statement);
        if let Ok(mut theirs) = self.parser.parse(sql)
            && theirs.len() == 1
            && let Some(theirs) = theirs.pop()
            && theirs != RemoveSubqueryFromProjection.rewrite(ours.clone())
        {
            return qualify_added_tables(theirs);
        }
        qualify_added_tables(ours)
    }

    /// `sql` parsed by the compatibility parser (which knows `ABORT`, for one), all of its
    /// rewrites applied: for statements DataFusion's parser refuses.
    pub fn parse_refused(&self, sql: &str) -> Result<Vec<Statement>, ParserError> {
        self.parser.parse(sql)
    }
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
