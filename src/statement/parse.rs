//! Text → statements: one tokenization and one parse per query string.
//!
//! The tokens feed one parser: our model statements are recognised from its first two
//! tokens ([`super::model_ddl`]); anything else goes to DataFusion's parser on the same
//! tokens (it knows `CREATE EXTERNAL TABLE`, `COPY`, `EXPLAIN` options and, through
//! sqlparser, PostgreSQL's dialect). Rewrites come later, on the syntax tree
//! ([`super::rewrites`]).
//!
//! Two fallbacks reach datafusion-pg-catalog's compatibility parser, which parses the text
//! again: a statement DataFusion's parser refuses (the parser knows `ABORT`, for one), and
//! the few client queries it swaps for simpler ones by their tokens (pgcli's and psql's
//! foreign-key, type, policy, statistics and publication lookups, DBeaver's relation sizes,
//! Grafana's search path). Those are recognised from our tokens by words only they contain
//! ([`SWAPPED_WORDS`]) before the second parse is paid.

use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::common::{DataFusionError, Result};
use datafusion::sql::parser::{DFParserBuilder, Statement as SqlStatement};
use datafusion::sql::sqlparser::ast;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_pg_catalog::sql::rules::{RemoveSubqueryFromProjection, SqlStatementRewriteRule};

use super::Statement;
use super::model_ddl;
use super::rewrites::pg_catalog_rules;

/// Words found only in the client queries the compatibility parser swaps.
const SWAPPED_WORDS: [&str; 7] = [
    "parentschema",
    "schema_name",
    "polname",
    "stxrelid",
    "pubname",
    "pg_total_relation_size",
    "string_to_array",
];

/// Parses query strings (one per engine, shared by its sessions).
#[derive(Debug, Default)]
pub struct Parser {
    compatibility: PostgresCompatibilityParser,
    /// How many query strings this parser has tokenized (each is parsed once from its
    /// tokens): tests check that a statement is not parsed again on its way.
    tokenized: AtomicU64,
}

impl Parser {
    /// The number of query strings tokenized so far.
    pub fn tokenized(&self) -> u64 {
        self.tokenized.load(Ordering::Relaxed)
    }

    /// The statements of `sql`, in order.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        let dialect = PostgreSqlDialect {};
        self.tokenized.fetch_add(1, Ordering::Relaxed);
        let tokens = Tokenizer::new(&dialect, sql)
            .tokenize_with_location()
            .map_err(|e| DataFusionError::SQL(Box::new(ParserError::from(e)), None))?;
        let suspect = may_be_swapped(&tokens);
        let mut parser = DFParserBuilder::new(tokens)
            .with_dialect(&dialect)
            .build()?;
        if let Some(model) = model_ddl::parse(&mut parser.parser) {
            return Ok(vec![Statement::Model(model?)]);
        }
        let mut statements: Vec<SqlStatement> = match parser.parse_statements() {
            Ok(statements) => statements.into(),
            Err(e) => return self.refused(sql, e),
        };
        if suspect
            && let [SqlStatement::Statement(statement)] = statements.as_mut_slice()
            && let Some(theirs) = self.swapped(sql, statement)
        {
            **statement = theirs;
        }
        Ok(statements.into_iter().map(Statement::Sql).collect())
    }

    /// What the compatibility parser makes of a query string DataFusion's parser refused,
    /// or DataFusion's error.
    fn refused(&self, sql: &str, error: DataFusionError) -> Result<Vec<Statement>> {
        match self.compatibility.parse(sql) {
            Ok(statements) => Ok(statements
                .into_iter()
                .map(|s| Statement::Sql(SqlStatement::Statement(Box::new(s))))
                .collect()),
            Err(_) => Err(error),
        }
    }

    /// The compatibility parser's substitute for `sql` when it swapped the query for another:
    /// its output differs from what its own rules make of ours.
    fn swapped(&self, sql: &str, statement: &ast::Statement) -> Option<ast::Statement> {
        let mut theirs = self.compatibility.parse(sql).ok()?;
        let theirs = theirs.pop().filter(|_| theirs.is_empty())?;
        let unswapped = pg_catalog_rules()
            .iter()
            .fold(statement.clone(), |s, (_, rule)| rule.rewrite(s));
        let unswapped = RemoveSubqueryFromProjection.rewrite(unswapped);
        (theirs != unswapped).then_some(theirs)
    }
}

/// Whether `tokens` hold a word found only in the queries the compatibility parser swaps.
fn may_be_swapped(tokens: &[TokenWithSpan]) -> bool {
    tokens.iter().any(|t| {
        matches!(&t.token, Token::Word(w)
            if SWAPPED_WORDS.iter().any(|s| w.value.eq_ignore_ascii_case(s)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_is_tokenized_once() {
        let parser = Parser::default();
        let statements = parser
            .parse("SELECT relname FROM pg_class WHERE oid = 'x'::regclass; SELECT 1")
            .unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(parser.tokenized(), 1);
    }

    #[test]
    fn model_statements_come_from_the_same_tokens() {
        let parser = Parser::default();
        let [Statement::Model(_)] = parser.parse("DROP MODEL IF EXISTS m").unwrap().as_slice()
        else {
            panic!("not a model statement");
        };
        let [Statement::Sql(_)] = parser.parse("DROP TABLE IF EXISTS m").unwrap().as_slice() else {
            panic!("not SQL");
        };
    }

    #[test]
    fn swapped_client_queries_take_the_substitute() {
        let parser = Parser::default();
        let dbeaver = "select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,\
                       pg_catalog.pg_relation_size(c.oid) as rel_size\n     FROM pg_class c\n     \
                       WHERE c.relnamespace='public'";
        let statements = parser.parse(dbeaver).unwrap();
        let [Statement::Sql(statement)] = statements.as_slice() else {
            panic!("one statement");
        };
        assert!(
            !statement.to_string().contains("pg_total_relation_size"),
            "{statement}"
        );
    }

    #[test]
    fn abort_is_rollback() {
        let parser = Parser::default();
        let statements = parser.parse("ABORT").unwrap();
        let [Statement::Sql(statement)] = statements.as_slice() else {
            panic!("one statement");
        };
        assert!(statement.to_string().starts_with("ROLLBACK"), "{statement}");
    }
}
