//! Errors that know their SQLSTATE.
//!
//! DataFusion's error variants say which layer failed (plan, execution), not what a client
//! should be told; an error of ours whose class matters to clients (a refused path, a model
//! that already exists) is a [`SqlError`] inside `DataFusionError::External`, and the wire
//! server answers with its code and message as they are.

use std::fmt;

use datafusion::common::DataFusionError;

/// The SQLSTATE classes our own errors use (PostgreSQL's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlState {
    /// 42501: a path outside the media roots, or a write while writes are off.
    InsufficientPrivilege,
    /// 42710: `CREATE MODEL` of a name in use.
    DuplicateObject,
    /// 42704: a model or setting that does not exist.
    UndefinedObject,
    /// 34000: FETCH or CLOSE of a cursor that is not open.
    InvalidCursorName,
    /// 42P03: DECLARE of a cursor name in use.
    DuplicateCursor,
    /// 22003: integer arithmetic whose result does not fit its type.
    NumericValueOutOfRange,
}

impl SqlState {
    pub fn code(self) -> &'static str {
        match self {
            Self::InsufficientPrivilege => "42501",
            Self::DuplicateObject => "42710",
            Self::UndefinedObject => "42704",
            Self::InvalidCursorName => "34000",
            Self::DuplicateCursor => "42P03",
            Self::NumericValueOutOfRange => "22003",
        }
    }
}

/// An error with its SQLSTATE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub state: SqlState,
    pub message: String,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

/// `message` with `state`, as a DataFusion error that keeps both.
pub fn sql_error(state: SqlState, message: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(SqlError {
        state,
        message: message.into(),
    }))
}

/// The [`SqlError`] inside `error`, looking through DataFusion's and Arrow's wrappers.
pub fn find_sql_error(error: &DataFusionError) -> Option<&SqlError> {
    use datafusion::arrow::error::ArrowError;
    match error {
        DataFusionError::External(e) => e
            .downcast_ref::<SqlError>()
            .or_else(|| find_sql_error(e.downcast_ref::<DataFusionError>()?)),
        DataFusionError::ArrowError(e, _) => match e.as_ref() {
            ArrowError::ExternalError(inner) => inner
                .downcast_ref::<SqlError>()
                .or_else(|| find_sql_error(inner.downcast_ref::<DataFusionError>()?)),
            _ => None,
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            find_sql_error(inner)
        }
        DataFusionError::Shared(inner) => find_sql_error(inner),
        DataFusionError::Collection(errors) => errors.iter().find_map(find_sql_error),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_through_wrappers() {
        let inner = sql_error(SqlState::DuplicateObject, "model 'm' already exists");
        let wrapped = DataFusionError::Context("while".into(), Box::new(inner));
        let found = find_sql_error(&wrapped).unwrap();
        assert_eq!(found.state.code(), "42710");
        assert_eq!(found.to_string(), "model 'm' already exists");
        assert!(find_sql_error(&DataFusionError::Plan("x".into())).is_none());
    }
}
