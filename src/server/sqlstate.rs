//! DataFusion errors → Postgres SQLSTATEs and messages, in one place.
//!
//! Our own errors carry their kind ([`mediasql_udfs::error::Typed`]: a [`SqlState`] or a
//! row error), which [`SqlState::code`] maps in one exhaustive table. The statement pipeline
//! types the plan errors clients tell apart (unknown table or function, a name in use) from
//! the catalog, not from DataFusion's words ([`crate::statement::diagnose`]). DataFusion's
//! own errors are mapped by their variant alone; no message text is read here.
//!
//! [`SqlState`]: mediasql_udfs::error::SqlState
//! [`SqlState::code`]: mediasql_udfs::error::SqlState::code

use datafusion::arrow::error::ArrowError;
use datafusion::common::{DataFusionError, SchemaError};
use datafusion::sql::sqlparser::parser::ParserError;
use mediasql_udfs::error::find_typed;
use pgwire::error::{ErrorInfo, PgWireError};

pub const SYNTAX_ERROR: &str = "42601";
pub const UNDEFINED_COLUMN: &str = "42703";
pub const AMBIGUOUS_COLUMN: &str = "42702";
pub const DUPLICATE_COLUMN: &str = "42701";
pub const PLAN_ERROR: &str = "42000";
pub const DATA_EXCEPTION: &str = "22000";
pub const DIVISION_BY_ZERO: &str = "22012";
pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
pub const INVALID_PARAMETER_VALUE: &str = "22023";
pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
pub const INSUFFICIENT_RESOURCES: &str = "53200";
pub const IO_ERROR: &str = "58030";
pub const INTERNAL_ERROR: &str = "XX000";

/// The SQLSTATE for `error`.
pub fn sqlstate(error: &DataFusionError) -> &'static str {
    if let Some(typed) = find_typed(error) {
        return typed.state().code();
    }
    match error {
        DataFusionError::SQL(..) => SYNTAX_ERROR,
        DataFusionError::Plan(_) => PLAN_ERROR,
        DataFusionError::SchemaError(e, _) => match e.as_ref() {
            SchemaError::FieldNotFound { .. } => UNDEFINED_COLUMN,
            SchemaError::AmbiguousReference { .. } => AMBIGUOUS_COLUMN,
            SchemaError::DuplicateQualifiedField { .. }
            | SchemaError::DuplicateUnqualifiedField { .. } => DUPLICATE_COLUMN,
        },
        DataFusionError::ResourcesExhausted(_) => INSUFFICIENT_RESOURCES,
        DataFusionError::NotImplemented(_) => FEATURE_NOT_SUPPORTED,
        DataFusionError::Configuration(_) => INVALID_PARAMETER_VALUE,
        DataFusionError::Execution(_) => DATA_EXCEPTION,
        DataFusionError::ArrowError(e, _) => arrow_state(e),
        DataFusionError::IoError(_)
        | DataFusionError::ObjectStore(_)
        | DataFusionError::ParquetError(_) => IO_ERROR,
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            sqlstate(inner)
        }
        DataFusionError::Shared(inner) => sqlstate(inner),
        DataFusionError::Collection(errors) => errors.first().map_or(INTERNAL_ERROR, sqlstate),
        DataFusionError::External(e) => e
            .downcast_ref::<DataFusionError>()
            .map_or(INTERNAL_ERROR, sqlstate),
        DataFusionError::ExecutionJoin(_)
        | DataFusionError::Internal(_)
        | DataFusionError::Substrait(_)
        | DataFusionError::Ffi(_) => INTERNAL_ERROR,
    }
}

fn arrow_state(error: &ArrowError) -> &'static str {
    match error {
        ArrowError::DivideByZero => DIVISION_BY_ZERO,
        ArrowError::CastError(_) | ArrowError::ParseError(_) => INVALID_TEXT_REPRESENTATION,
        ArrowError::ArithmeticOverflow(_) => NUMERIC_VALUE_OUT_OF_RANGE,
        ArrowError::ExternalError(e) => e
            .downcast_ref::<DataFusionError>()
            .map_or(INTERNAL_ERROR, sqlstate),
        ArrowError::MemoryError(_) => INSUFFICIENT_RESOURCES,
        ArrowError::IoError(..) => IO_ERROR,
        ArrowError::NotYetImplemented(_) => FEATURE_NOT_SUPPORTED,
        ArrowError::InvalidArgumentError(_)
        | ArrowError::ComputeError(_)
        | ArrowError::CsvError(_)
        | ArrowError::JsonError(_)
        | ArrowError::AvroError(_)
        | ArrowError::IpcError(_)
        | ArrowError::SchemaError(_)
        | ArrowError::ParquetError(_)
        | ArrowError::CDataInterface(_)
        | ArrowError::DictionaryKeyOverflowError
        | ArrowError::RunEndIndexOverflowError
        | ArrowError::OffsetOverflowError(_) => DATA_EXCEPTION,
    }
}

/// The error's message as PostgreSQL would word it: without DataFusion's backtrace and the
/// layer prefixes ("Error during planning: ", "Execution error: "...) it puts in front.
pub fn message(error: &DataFusionError) -> String {
    if let Some(typed) = find_typed(error) {
        return typed.message();
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

/// A DataFusion error as a Postgres ErrorResponse.
pub fn error_info(error: &DataFusionError) -> ErrorInfo {
    ErrorInfo::new(
        "ERROR".to_string(),
        sqlstate(error).to_string(),
        message(error),
    )
}

/// A DataFusion error as a pgwire error.
pub fn pg_error(error: &DataFusionError) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(error)))
}

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
        // DataFusion's words do not decide: the statement pipeline types these.
        let table = DataFusionError::Plan("table 'mediasql.public.nope' not found".into());
        assert_eq!(sqlstate(&table), PLAN_ERROR);
        let zero = DataFusionError::ArrowError(Box::new(ArrowError::DivideByZero), None);
        assert_eq!(sqlstate(&zero), DIVISION_BY_ZERO);
        let mem = DataFusionError::ResourcesExhausted("over".into());
        assert_eq!(sqlstate(&mem), INSUFFICIENT_RESOURCES);
        let ctx = DataFusionError::Context("while".into(), Box::new(mem));
        assert_eq!(sqlstate(&ctx), INSUFFICIENT_RESOURCES);
        let io = DataFusionError::IoError(std::io::Error::other("disk gone"));
        assert_eq!(sqlstate(&io), IO_ERROR);
        let internal = DataFusionError::Internal("a bug".into());
        assert_eq!(sqlstate(&internal), INTERNAL_ERROR);
        let unsupported = DataFusionError::NotImplemented("LATERAL".into());
        assert_eq!(sqlstate(&unsupported), FEATURE_NOT_SUPPORTED);
        let setting = DataFusionError::Configuration("no such value".into());
        assert_eq!(sqlstate(&setting), INVALID_PARAMETER_VALUE);
        let execution = DataFusionError::Execution("bad row".into());
        assert_eq!(sqlstate(&execution), DATA_EXCEPTION);
    }
}
