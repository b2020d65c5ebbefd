//! Errors that know their SQLSTATE.
//!
//! DataFusion's error variants say which layer failed (plan, execution), not what a client
//! should be told. An error of ours whose class matters to clients travels inside
//! `DataFusionError::External` as one of two types, and the wire server answers with its
//! code and message as they are:
//! - [`SqlError`]: a [`SqlState`] and a message (a refused path, a model that already
//!   exists, an unknown table found by the statement pipeline, a cancelled statement);
//! - [`RowError`]: a media function that failed on one row, naming the function, the row,
//!   the row's file when the statement knows it, and the cause (22000).
//!
//! [`SqlState::code`] is the one exhaustive table from our kinds to PostgreSQL's codes.

use std::fmt;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::common::DataFusionError;

/// The kinds of error clients tell apart, each with PostgreSQL's SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlState {
    /// 42501: a path outside the media roots, or a write while writes are off.
    InsufficientPrivilege,
    /// 42710: `CREATE MODEL` of a name in use.
    DuplicateObject,
    /// 42P07: `CREATE TABLE`/`VIEW` of a name in use.
    DuplicateTable,
    /// 42P06: `CREATE SCHEMA` of a name in use.
    DuplicateSchema,
    /// 42704: a model or setting that does not exist.
    UndefinedObject,
    /// 42P01: a table or view that does not exist.
    UndefinedTable,
    /// 42883: a function that does not exist.
    UndefinedFunction,
    /// 34000: FETCH or CLOSE of a cursor that is not open.
    InvalidCursorName,
    /// 42P03: DECLARE of a cursor name in use.
    DuplicateCursor,
    /// 22003: integer arithmetic whose result does not fit its type.
    NumericValueOutOfRange,
    /// 22023: a setting or argument given a value it cannot take.
    InvalidParameterValue,
    /// 22000: a media function failed on a row ([`RowError`]).
    DataException,
    /// 57014: a cancel request or `statement_timeout` ended the statement.
    QueryCanceled,
}

impl SqlState {
    pub fn code(self) -> &'static str {
        match self {
            Self::InsufficientPrivilege => "42501",
            Self::DuplicateObject => "42710",
            Self::DuplicateTable => "42P07",
            Self::DuplicateSchema => "42P06",
            Self::UndefinedObject => "42704",
            Self::UndefinedTable => "42P01",
            Self::UndefinedFunction => "42883",
            Self::InvalidCursorName => "34000",
            Self::DuplicateCursor => "42P03",
            Self::NumericValueOutOfRange => "22003",
            Self::InvalidParameterValue => "22023",
            Self::DataException => "22000",
            Self::QueryCanceled => "57014",
        }
    }
}

/// An error with its SQLSTATE.
#[derive(Clone, PartialEq, Eq)]
pub struct SqlError {
    pub state: SqlState,
    pub message: String,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// As shown, like [`RowError`]'s: a cluster's scheduler reports a task's error by its debug
/// form.
impl fmt::Debug for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
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

/// A media function that failed on one row of its input: shown as `function: path: cause`
/// when the row's file is known, else `function: row N: cause` (N counts from 0 within the
/// batch the function was given).
#[derive(Clone, PartialEq, Eq)]
pub struct RowError {
    pub function: String,
    pub row: usize,
    pub path: Option<String>,
    pub cause: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {path}: {}", self.function, self.cause),
            None => write!(f, "{}: row {}: {}", self.function, self.row, self.cause),
        }
    }
}

/// As shown: a cluster's scheduler reports a failed task's error by its debug form.
impl fmt::Debug for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for RowError {}

/// `function` failed on `row` because of `cause`.
pub fn row_error(function: &str, row: usize, cause: impl fmt::Display) -> DataFusionError {
    DataFusionError::External(Box::new(RowError {
        function: function.to_string(),
        row,
        path: None,
        cause: cause.to_string(),
    }))
}

/// `e` naming its row's file from `paths` (the paths of the rows the function was given),
/// when it is a [`RowError`] whose row has one.
pub fn with_row_path(e: DataFusionError, paths: &dyn Array) -> DataFusionError {
    let DataFusionError::External(boxed) = e else {
        return e;
    };
    let mut row_error = match boxed.downcast::<RowError>() {
        Ok(row_error) => row_error,
        Err(other) => return DataFusionError::External(other),
    };
    if row_error.path.is_none() {
        row_error.path = cast(paths, &DataType::Utf8)
            .ok()
            .filter(|a| row_error.row < a.len() && a.is_valid(row_error.row))
            .map(|a| a.as_string::<i32>().value(row_error.row).to_string());
    }
    DataFusionError::External(row_error)
}

/// `e` naming the file of its failed row from `paths` (the paths of the `rows` rows the
/// function `name` was given), when it is a row error of that function.
pub fn name_row_file(
    name: &str,
    e: DataFusionError,
    paths: &datafusion::logical_expr::ColumnarValue,
    rows: usize,
) -> DataFusionError {
    let ours = matches!(find_typed(&e), Some(Typed::Row(r)) if r.function == name);
    match paths.to_array(rows) {
        Ok(paths) if ours => with_row_path(e, paths.as_ref()),
        _ => e,
    }
}

/// One of our typed errors found inside a DataFusion error.
#[derive(Debug, Clone, Copy)]
pub enum Typed<'a> {
    Sql(&'a SqlError),
    Row(&'a RowError),
}

impl Typed<'_> {
    pub fn state(&self) -> SqlState {
        match self {
            Self::Sql(e) => e.state,
            Self::Row(_) => SqlState::DataException,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Sql(e) => e.message.clone(),
            Self::Row(e) => e.to_string(),
        }
    }
}

/// The typed error inside `error`, looking through DataFusion's and Arrow's wrappers.
pub fn find_typed(error: &DataFusionError) -> Option<Typed<'_>> {
    match error {
        DataFusionError::External(e) => typed_external(e.as_ref()),
        DataFusionError::ArrowError(e, _) => match e.as_ref() {
            ArrowError::ExternalError(inner) => typed_external(inner.as_ref()),
            _ => None,
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            find_typed(inner)
        }
        DataFusionError::Shared(inner) => find_typed(inner),
        DataFusionError::Collection(errors) => errors.iter().find_map(find_typed),
        _ => None,
    }
}

fn typed_external<'a>(e: &'a (dyn std::error::Error + Send + Sync + 'static)) -> Option<Typed<'a>> {
    if let Some(sql) = e.downcast_ref::<SqlError>() {
        return Some(Typed::Sql(sql));
    }
    if let Some(row) = e.downcast_ref::<RowError>() {
        return Some(Typed::Row(row));
    }
    find_typed(e.downcast_ref::<DataFusionError>()?)
}

/// The [`SqlError`] inside `error`, looking through DataFusion's and Arrow's wrappers.
pub fn find_sql_error(error: &DataFusionError) -> Option<&SqlError> {
    match find_typed(error)? {
        Typed::Sql(e) => Some(e),
        Typed::Row(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn found_through_wrappers() {
        let inner = sql_error(SqlState::DuplicateObject, "model 'm' already exists");
        let wrapped = DataFusionError::Context("while".into(), Box::new(inner));
        let found = find_sql_error(&wrapped).unwrap();
        assert_eq!(found.state.code(), "42710");
        assert_eq!(found.to_string(), "model 'm' already exists");
        assert!(find_sql_error(&DataFusionError::Plan("x".into())).is_none());
    }

    #[test]
    fn row_errors_name_their_file_when_known() {
        let paths = StringArray::from(vec![Some("a.jpg"), None]);
        let named = with_row_path(row_error("f", 0, "broken"), &paths);
        let typed = find_typed(&named).unwrap();
        assert_eq!(typed.state().code(), "22000");
        assert_eq!(typed.message(), "f: a.jpg: broken");
        let unnamed = with_row_path(row_error("f", 1, "broken"), &paths);
        assert_eq!(find_typed(&unnamed).unwrap().message(), "f: row 1: broken");
        let other = with_row_path(DataFusionError::Plan("x".into()), &paths);
        assert!(matches!(other, DataFusionError::Plan(_)));
    }
}
