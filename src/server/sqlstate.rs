//! DataFusion errors → Postgres SQLSTATEs and messages, in one place.
//!
//! Our own errors that clients must tell apart carry their SQLSTATE
//! ([`mediasql_udfs::error::SqlError`]); DataFusion's carry only their layer (plan,
//! execution, arrow), so for those few of its messages that have a PostgreSQL class of
//! their own (unknown table or function, division by zero) the text decides.

use datafusion::arrow::error::ArrowError;
use datafusion::common::{DataFusionError, SchemaError};
use datafusion::sql::sqlparser::parser::ParserError;
use mediasql_udfs::error::find_sql_error;

pub const SYNTAX_ERROR: &str = "42601";
pub const UNDEFINED_TABLE: &str = "42P01";
pub const UNDEFINED_FUNCTION: &str = "42883";
pub const UNDEFINED_COLUMN: &str = "42703";
pub const DUPLICATE_TABLE: &str = "42P07";
pub const AMBIGUOUS_COLUMN: &str = "42702";
pub const PLAN_ERROR: &str = "42000";
pub const DATA_EXCEPTION: &str = "22000";
pub const DIVISION_BY_ZERO: &str = "22012";
pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
pub const INVALID_PARAMETER_VALUE: &str = "22023";
pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
pub const INSUFFICIENT_RESOURCES: &str = "53200";
pub const QUERY_CANCELED: &str = "57014";
pub const IO_ERROR: &str = "58030";
pub const INTERNAL_ERROR: &str = "XX000";

/// The SQLSTATE for `error`.
pub fn sqlstate(error: &DataFusionError) -> &'static str {
    if let Some(typed) = find_sql_error(error) {
        return typed.state.code();
    }
    match error {
        DataFusionError::SQL(..) => SYNTAX_ERROR,
        DataFusionError::Plan(message) => plan_state(message),
        DataFusionError::SchemaError(e, _) => match e.as_ref() {
            SchemaError::FieldNotFound { .. } => UNDEFINED_COLUMN,
            SchemaError::AmbiguousReference { .. } => AMBIGUOUS_COLUMN,
            _ => PLAN_ERROR,
        },
        DataFusionError::ResourcesExhausted(_) => INSUFFICIENT_RESOURCES,
        DataFusionError::NotImplemented(_) => FEATURE_NOT_SUPPORTED,
        DataFusionError::Configuration(_) => INVALID_PARAMETER_VALUE,
        DataFusionError::Execution(message) => execution_state(message),
        DataFusionError::ArrowError(e, _) => arrow_state(e),
        DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => IO_ERROR,
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            sqlstate(inner)
        }
        DataFusionError::Shared(inner) => sqlstate(inner),
        DataFusionError::Collection(errors) => errors.first().map_or(INTERNAL_ERROR, sqlstate),
        DataFusionError::ExecutionJoin(_) | DataFusionError::Internal(_) => INTERNAL_ERROR,
        DataFusionError::External(e) => match e.downcast_ref::<DataFusionError>() {
            Some(inner) => sqlstate(inner),
            None => INTERNAL_ERROR,
        },
        _ => INTERNAL_ERROR,
    }
}

fn plan_state(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("table '") && lower.contains("not found") {
        UNDEFINED_TABLE
    } else if lower.contains("invalid function")
        || lower.contains("no function matches")
        || lower.contains("unknown function")
    {
        UNDEFINED_FUNCTION
    } else if lower.contains("already exists") {
        DUPLICATE_TABLE
    } else {
        PLAN_ERROR
    }
}

fn execution_state(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.starts_with("canceling statement due to") {
        QUERY_CANCELED
    } else if lower.contains("divide by zero") || lower.contains("division by zero") {
        DIVISION_BY_ZERO
    } else if lower.contains("already exists") {
        DUPLICATE_TABLE
    } else {
        DATA_EXCEPTION
    }
}

fn arrow_state(error: &ArrowError) -> &'static str {
    match error {
        ArrowError::DivideByZero => DIVISION_BY_ZERO,
        ArrowError::CastError(_) | ArrowError::ParseError(_) => INVALID_TEXT_REPRESENTATION,
        ArrowError::ArithmeticOverflow(_) => NUMERIC_VALUE_OUT_OF_RANGE,
        ArrowError::ExternalError(e) => match e.downcast_ref::<DataFusionError>() {
            Some(inner) => sqlstate(inner),
            None => INTERNAL_ERROR,
        },
        ArrowError::MemoryError(_) => INSUFFICIENT_RESOURCES,
        _ => DATA_EXCEPTION,
    }
}

/// The error's message as PostgreSQL would word it: without DataFusion's backtrace and the
/// layer prefixes ("Error during planning: ", "Execution error: "...) it puts in front.
pub fn message(error: &DataFusionError) -> String {
    if let Some(typed) = find_sql_error(error) {
        return typed.message.clone();
    }
    // DataFusion's context ("Optimizer rule 'simplify_expressions' failed") says where the
    // error came up; the innermost error says what it is.
    if let DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) = error {
        return message(inner);
    }
    if let DataFusionError::SQL(parser, _) = error {
        let (ParserError::ParserError(m) | ParserError::TokenizerError(m)) = parser.as_ref() else {
            return "statement too deeply nested".into();
        };
        return format!("syntax error: {m}");
    }
    // The prefixes also come inside messages that quote another error ("user-defined
    // coercion failed with: Error during planning: ...").
    PREFIXES
        .iter()
        .fold(error.strip_backtrace(), |text, prefix| {
            text.replace(prefix, "")
        })
}

/// What DataFusion's `Display` puts before a message.
const PREFIXES: &[&str] = &[
    "Error during planning: ",
    "Execution error: ",
    "External error: ",
    "Arrow error: ",
    "Schema error: ",
    "Invalid or Unsupported Configuration: ",
    "Resources exhausted: ",
    "This feature is not implemented: ",
    "Join Error: ",
];

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::parser::ParserError;

    #[test]
    fn typed_errors_keep_their_state_and_message() {
        use mediasql_udfs::error::{SqlState, sql_error};
        let denied = sql_error(
            SqlState::InsufficientPrivilege,
            "permission denied to read 'x'",
        );
        let wrapped = DataFusionError::Context("scan".into(), Box::new(denied));
        assert_eq!(sqlstate(&wrapped), "42501");
        assert_eq!(message(&wrapped), "permission denied to read 'x'");
        let exists = sql_error(SqlState::DuplicateObject, "model 'm' already exists");
        assert_eq!(sqlstate(&exists), "42710");
        // Checked integer arithmetic's overflow, inside the Arrow error of a function call.
        let overflow = DataFusionError::ArrowError(
            Box::new(ArrowError::ExternalError(Box::new(sql_error(
                SqlState::NumericValueOutOfRange,
                "integer out of range",
            )))),
            None,
        );
        assert_eq!(sqlstate(&overflow), NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(message(&overflow), "integer out of range");
        let plan = DataFusionError::Plan("Invalid function 'nope'".into());
        assert_eq!(message(&plan), "Invalid function 'nope'");
        let exec = DataFusionError::Execution("classify: row 3: bad".into());
        assert_eq!(message(&exec), "classify: row 3: bad");
        let cast = DataFusionError::ArrowError(
            Box::new(ArrowError::CastError("Cannot cast 'abc'".into())),
            None,
        );
        let optimizer = DataFusionError::Context(
            "Optimizer rule 'simplify_expressions' failed".into(),
            Box::new(cast),
        );
        assert_eq!(message(&optimizer), "Cast error: Cannot cast 'abc'");
        let quoted = DataFusionError::Plan(
            "coercion failed with: Error during planning: classify expects an image".into(),
        );
        assert_eq!(
            message(&quoted),
            "coercion failed with: classify expects an image"
        );
    }

    #[test]
    fn maps_the_common_errors() {
        let syntax = DataFusionError::SQL(Box::new(ParserError::ParserError("x".into())), None);
        assert_eq!(sqlstate(&syntax), SYNTAX_ERROR);
        let table = DataFusionError::Plan("table 'mediasql.public.nope' not found".into());
        assert_eq!(sqlstate(&table), UNDEFINED_TABLE);
        let func = DataFusionError::Plan("Invalid function 'nope'".into());
        assert_eq!(sqlstate(&func), UNDEFINED_FUNCTION);
        let mem = DataFusionError::ResourcesExhausted("over".into());
        assert_eq!(sqlstate(&mem), INSUFFICIENT_RESOURCES);
        let ctx = DataFusionError::Context("while".into(), Box::new(mem));
        assert_eq!(sqlstate(&ctx), INSUFFICIENT_RESOURCES);
    }
}
