//! The `on_error => 'raise' | 'null'` argument shared by media functions (as in Daft).

use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::ColumnarValue;

/// What a function does with a row it cannot process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Fail the query with an error naming the function and the row (the default).
    #[default]
    Raise,
    /// Return NULL for that row and go on.
    Null,
}

impl OnError {
    /// Reads the argument, which must be a constant string; absent or NULL is the default,
    /// `'raise'`. `function` names the caller in errors.
    pub fn from_arg(function: &str, arg: Option<&ColumnarValue>) -> Result<Self> {
        let Some(arg) = arg else {
            return Ok(Self::Raise);
        };
        let ColumnarValue::Scalar(scalar) = arg else {
            return plan_err!("{function}: on_error must be a constant 'raise' or 'null'");
        };
        match scalar {
            s if s.is_null() => Ok(Self::Raise),
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)) => Self::parse(function, s),
            other => plan_err!("{function}: on_error must be 'raise' or 'null', got {other}"),
        }
    }

    /// Parses `'raise'` or `'null'`; `function` names the caller in errors.
    pub fn parse_str(function: &str, s: &str) -> Result<Self> {
        Self::parse(function, s)
    }

    fn parse(function: &str, s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "raise" => Ok(Self::Raise),
            "null" => Ok(Self::Null),
            _ => plan_err!("{function}: on_error must be 'raise' or 'null', got '{s}'"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_policies_and_rejects_others() {
        let arg = |s: &str| ColumnarValue::Scalar(ScalarValue::Utf8(Some(s.to_string())));
        assert_eq!(OnError::from_arg("f", None).unwrap(), OnError::Raise);
        assert_eq!(
            OnError::from_arg("f", Some(&arg("NULL"))).unwrap(),
            OnError::Null
        );
        let null = ColumnarValue::Scalar(ScalarValue::Utf8(None));
        assert_eq!(OnError::from_arg("f", Some(&null)).unwrap(), OnError::Raise);
        let err = OnError::from_arg("f", Some(&arg("skip"))).unwrap_err();
        assert!(err.to_string().contains("f: on_error must be"), "{err}");
    }
}
