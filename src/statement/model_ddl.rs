//! `CREATE MODEL` and `DROP MODEL`: the statements that add and remove user models.
//!
//! ```sql
//! CREATE MODEL [IF NOT EXISTS] name FROM 'file.onnx'
//!     [WITH (kind 'image_classifier', labels 'labels.txt' | 'a,b,c', input_size '224',
//!            resize_shorter '256', mean '0', std '255', channel_order 'rgb',
//!            input '...', logits '...', features '...', batch_size '16')]
//!     [WITH (kind 'object_detector', labels '...', input_size '416', channel_order 'bgr',
//!            input '...', output '...', batch_size '8')]
//! DROP MODEL [IF EXISTS] name
//! CLEAR CACHE [FOR MODEL name]       -- the inference cache's results (of one model)
//! ```
//!
//! Neither DataFusion's parser nor sqlparser knows them, so they are recognised from their
//! first two tokens, on the same parser (the same tokens) DataFusion's parser is then given
//! when they are not ours ([`super::parse`]). Each must be sent as a statement of its own.

use std::collections::BTreeMap;
use std::path::PathBuf;

use datafusion::common::{DataFusionError, Result};
use datafusion::sql::sqlparser::ast::Value;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;
use mediasql_udfs::io::MediaRoots;
use mediasql_udfs::models::{CreateModel, ModelRegistry};

/// A parsed model statement.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatement {
    Create(CreateModel),
    Drop {
        name: String,
        if_exists: bool,
    },
    /// Removes kept results from the inference cache (run by the session: it is async).
    ClearCache {
        model: Option<String>,
    },
}

impl ModelStatement {
    /// Refuses a model file, or a labels file, outside the media roots.
    pub fn check_access(&self, roots: &MediaRoots) -> Result<()> {
        let Self::Create(request) = self else {
            return Ok(());
        };
        roots.check_local(&request.source)?;
        match request.options.get("labels") {
            Some(labels) if std::path::Path::new(labels).exists() => {
                roots.check_local(std::path::Path::new(labels))
            }
            _ => Ok(()),
        }
    }

    /// Runs the statement; returns its completion tag.
    pub fn execute(&self, models: &ModelRegistry) -> Result<String> {
        match self {
            Self::Create(request) => {
                models.create_model(request)?;
                Ok("CREATE MODEL".into())
            }
            Self::Drop { name, if_exists } => {
                models.drop_model(name, *if_exists)?;
                Ok("DROP MODEL".into())
            }
            Self::ClearCache { .. } => Err(DataFusionError::Internal(
                "CLEAR CACHE is run by the session".into(),
            )),
        }
    }
}

/// The model statement `parser` starts with, None (nothing consumed) when it is not one.
pub fn parse(parser: &mut Parser) -> Option<Result<ModelStatement>> {
    if let Some(clear) = parse_clear_cache(parser) {
        return Some(clear);
    }
    let create = match &parser.peek_token_ref().token {
        Token::Word(w) if w.keyword == Keyword::CREATE => true,
        Token::Word(w) if w.keyword == Keyword::DROP => false,
        _ => return None,
    };
    let model = matches!(&parser.peek_nth_token_ref(1).token,
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("model"));
    if !model {
        return None;
    }
    parser.next_token();
    parser.next_token();
    let statement = if create {
        parse_create(parser)
    } else {
        parse_drop(parser)
    };
    Some(
        statement
            .and_then(|s| end(parser).map(|_| s))
            .map_err(|e| DataFusionError::SQL(Box::new(e), None)),
    )
}

/// `CLEAR CACHE [FOR MODEL name]`, None (nothing consumed) when the statement is another.
fn parse_clear_cache(parser: &mut Parser) -> Option<Result<ModelStatement>> {
    let word = |n: usize, w: &str| {
        matches!(&parser.peek_nth_token_ref(n).token,
            Token::Word(t) if t.quote_style.is_none() && t.value.eq_ignore_ascii_case(w))
    };
    if !(word(0, "clear") && word(1, "cache")) {
        return None;
    }
    parser.next_token();
    parser.next_token();
    let model = match parser.parse_keyword(Keyword::FOR) {
        false => Ok(None),
        true => {
            let next = parser.next_token();
            match &next.token {
                Token::Word(w)
                    if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("model") =>
                {
                    name(parser).map(Some)
                }
                _ => parser.expected("MODEL name", next),
            }
        }
    };
    Some(
        model
            .and_then(|model| end(parser).map(|_| ModelStatement::ClearCache { model }))
            .map_err(|e| DataFusionError::SQL(Box::new(e), None)),
    )
}

/// Only `;` may follow.
fn end(parser: &mut Parser) -> Result<(), ParserError> {
    while parser.consume_token(&Token::SemiColon) {}
    match parser.peek_token().token {
        Token::EOF => Ok(()),
        other => Err(ParserError::ParserError(format!(
            "unexpected {other} after a model statement (send it on its own)"
        ))),
    }
}

fn name(parser: &mut Parser) -> Result<String, ParserError> {
    let ident = parser.parse_identifier()?;
    Ok(match ident.quote_style {
        Some(_) => ident.value,
        None => ident.value.to_ascii_lowercase(),
    })
}

fn parse_create(parser: &mut Parser) -> Result<ModelStatement, ParserError> {
    let if_not_exists = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = name(parser)?;
    if !parser.parse_keyword(Keyword::FROM) {
        return parser.expected("FROM 'file.onnx'", parser.peek_token());
    }
    let source = PathBuf::from(parser.parse_literal_string()?);
    let mut options = BTreeMap::new();
    if parser.parse_keyword(Keyword::WITH) {
        parser.expect_token(&Token::LParen)?;
        loop {
            let key = parser.parse_identifier()?.value.to_ascii_lowercase();
            let _ = parser.consume_token(&Token::Eq);
            let value = match parser.parse_value()?.value {
                Value::SingleQuotedString(s) => s,
                Value::Number(n, _) => n.to_string(),
                other => {
                    return Err(ParserError::ParserError(format!(
                        "option {key}: expected a string or a number, found {other}"
                    )));
                }
            };
            options.insert(key, value);
            if !parser.consume_token(&Token::Comma) {
                break;
            }
        }
        parser.expect_token(&Token::RParen)?;
    }
    Ok(ModelStatement::Create(CreateModel {
        name,
        source,
        options,
        if_not_exists,
    }))
}

fn parse_drop(parser: &mut Parser) -> Result<ModelStatement, ParserError> {
    let if_exists = parser.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    Ok(ModelStatement::Drop {
        name: name(parser)?,
        if_exists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Option<Result<ModelStatement>> {
        use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
        let dialect = PostgreSqlDialect {};
        let mut parser = Parser::new(&dialect).try_with_sql(sql).unwrap();
        super::parse(&mut parser)
    }

    #[test]
    fn parses_create_and_drop() {
        let sql = "create model if not exists Colours from 'm.onnx' \
                   with (labels 'a,b', input_size 32, mean = '1, 2, 3');";
        let Some(Ok(ModelStatement::Create(c))) = parse(sql) else {
            panic!("not parsed: {sql}");
        };
        assert_eq!(c.name, "colours");
        assert!(c.if_not_exists);
        assert_eq!(c.source, PathBuf::from("m.onnx"));
        assert_eq!(c.options["input_size"], "32");
        assert_eq!(c.options["mean"], "1, 2, 3");
        assert_eq!(
            parse("DROP MODEL IF EXISTS x").unwrap().unwrap(),
            ModelStatement::Drop {
                name: "x".into(),
                if_exists: true
            }
        );
        assert!(parse("DROP TABLE x").is_none());
        assert!(parse("SELECT 1").is_none());
        let err = parse("CREATE MODEL x 'm.onnx'").unwrap().unwrap_err();
        assert!(err.to_string().contains("Expected: FROM"), "{err}");
        let err = parse("DROP MODEL x; SELECT 1").unwrap().unwrap_err();
        assert!(err.to_string().contains("send it on its own"), "{err}");
    }
}
