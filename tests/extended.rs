//! The slt runner's third engine: each statement over the extended protocol (Parse, Bind,
//! Execute) with binary results, as drivers such as tokio-postgres, asyncpg and pgjdbc read
//! them. Each binary value is decoded by a client library, not by mediasql: tokio-postgres'
//! `FromSql` impls (postgres-types, with its chrono and serde_json support) and, for the two
//! types postgres-types leaves to other crates, the decoders Rust clients use for them
//! (`rust_decimal`'s numeric, `pg_interval`'s interval). The decoded value is then written
//! as the text the .slt files hold, by rules written here (PostgreSQL's, with the server's
//! text choices where they are its own: six fractional digits in times and timestamps), so
//! the three runs compare cell for cell and a binary encoding that loses or changes a value
//! shows up as a diff. A type the client cannot decode fails the statement, naming its OID.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use pg_interval::Interval;
use rust_decimal::Decimal;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, FromSqlOwned, Kind, Type};

use crate::slt::{SqlError, rows_output, simple_run};

/// A connection that runs every statement with the extended protocol.
pub struct Extended(pub tokio_postgres::Client);

fn wire_error(e: tokio_postgres::Error) -> SqlError {
    match e.as_db_error() {
        Some(db) => SqlError::new(db.code().code(), db.message()),
        None => SqlError::new("08000", &e.to_string()),
    }
}

#[async_trait]
impl AsyncDB for Extended {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let statement = match self.0.prepare(sql).await {
            Ok(statement) => statement,
            // Several statements cannot be prepared (as in PostgreSQL): drivers send those
            // with the simple protocol.
            Err(e)
                if e.as_db_error()
                    .is_some_and(|db| db.message().contains("multiple commands")) =>
            {
                return simple_run(&self.0, sql).await;
            }
            Err(e) => return Err(wire_error(e)),
        };
        if statement.columns().is_empty() {
            let count = self.0.execute(&statement, &[]).await.map_err(wire_error)?;
            return Ok(DBOutput::StatementComplete(count));
        }
        let rows = self.0.query(&statement, &[]).await.map_err(wire_error)?;
        let columns = statement.columns().len();
        let mut cells = Vec::with_capacity(rows.len());
        for row in &rows {
            let values = (0..columns)
                .map(|i| cell(row, i))
                .collect::<Result<Vec<_>, _>>()?;
            cells.push(values);
        }
        Ok(rows_output(cells, columns))
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "wire-extended"
    }

    fn error_sql_state(err: &Self::Error) -> Option<String> {
        Some(err.code().to_string())
    }
}

/// How a column's values are laid out around its element type.
#[derive(Clone, Copy)]
enum Shape {
    Scalar,
    /// A one-dimensional array: `{a,b,NULL}`.
    Array,
    /// `int2vector` / `oidvector`: an array on the wire, its elements spaced in text (`23 25`).
    Vector,
}

/// The text of column `i` of `row` (None for NULL), decoded by the client library.
fn cell(row: &Row, i: usize) -> Result<Option<String>, SqlError> {
    let ty = row.columns()[i].type_();
    let (element, shape) = match (ty, ty.kind()) {
        (&Type::INT2_VECTOR | &Type::OID_VECTOR, Kind::Array(element)) => (element, Shape::Vector),
        (_, Kind::Array(element)) => (element, Shape::Array),
        _ => (ty, Shape::Scalar),
    };
    // Element text that PostgreSQL never quotes in an array, and text it may have to.
    let plain = |s: String| Element {
        text: s,
        quotable: false,
    };
    let quotable = |s: String| Element {
        text: s,
        quotable: true,
    };
    macro_rules! decode {
        ($t:ty, $render:expr) => {
            shaped::<$t>(row, i, shape, $render)
        };
    }
    match *element {
        Type::BOOL => decode!(bool, |b| plain(if b { "t" } else { "f" }.into())),
        Type::INT2 => decode!(i16, |v| plain(v.to_string())),
        Type::INT4 => decode!(i32, |v| plain(v.to_string())),
        Type::INT8 => decode!(i64, |v| plain(v.to_string())),
        Type::OID => decode!(u32, |v| plain(v.to_string())),
        Type::FLOAT4 => decode!(f32, |v| plain(float_text(
            f64::from(v),
            format!("{v:e}"),
            6
        ))),
        Type::FLOAT8 => decode!(f64, |v| plain(float_text(v, format!("{v:e}"), 15))),
        Type::NUMERIC => decode!(Decimal, |v| plain(v.to_string())),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::UNKNOWN => {
            decode!(String, quotable)
        }
        Type::BYTEA => decode!(Vec<u8>, |v| quotable(bytea_text(&v))),
        Type::DATE => decode!(NaiveDate, |v| plain(v.format("%Y-%m-%d").to_string())),
        Type::TIME => decode!(NaiveTime, |v| plain(v.format("%H:%M:%S%.6f").to_string())),
        Type::TIMESTAMP => decode!(NaiveDateTime, |v| plain(
            v.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
        )),
        Type::TIMESTAMPTZ => decode!(DateTime<Utc>, |v| plain(
            v.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
        )),
        Type::INTERVAL => decode!(Interval, |v| plain(v.to_postgres())),
        Type::JSON | Type::JSONB => decode!(serde_json::Value, |v| plain(v.to_string())),
        _ => Err(SqlError::new(
            "XX000",
            &format!(
                "column {i}: no client decoder for type {} (OID {}) in the extended runner",
                ty.name(),
                ty.oid()
            ),
        )),
    }
}

/// An element's text, and whether PostgreSQL quotes it in an array when it has to.
/// The server (pgwire) quotes only strings and bytea: an array of timestamps or intervals,
/// whose text has spaces, goes unquoted; there are none in the .slt files.
struct Element {
    text: String,
    quotable: bool,
}

/// Column `i` decoded as `T` (or an array of `T`) by its `FromSql`, and written as text.
fn shaped<T: FromSqlOwned>(
    row: &Row,
    i: usize,
    shape: Shape,
    render: impl Fn(T) -> Element,
) -> Result<Option<String>, SqlError> {
    Ok(match shape {
        Shape::Scalar => get::<T>(row, i)?.map(|v| render(v).text),
        Shape::Array => get::<Vec<Option<T>>>(row, i)?.map(|items| {
            let items: Vec<String> = items
                .into_iter()
                .map(|item| item.map_or_else(|| "NULL".into(), |v| array_element(render(v))))
                .collect();
            format!("{{{}}}", items.join(","))
        }),
        // The server writes a vector's NULL elements (which PostgreSQL's cannot hold) as
        // nothing.
        Shape::Vector => get::<Vec<Option<T>>>(row, i)?.map(|items| {
            let items: Vec<String> = items
                .into_iter()
                .flatten()
                .map(|v| render(v).text)
                .collect();
            items.join(" ")
        }),
    })
}

/// `T::from_sql` on column `i`'s binary value, as tokio-postgres' `Row::try_get` calls it.
fn get<T: FromSqlOwned>(row: &Row, i: usize) -> Result<Option<T>, SqlError> {
    row.try_get::<_, Option<T>>(i).map_err(|e| {
        let ty = row.columns()[i].type_();
        // tokio-postgres says which column; the decoder's own words are its source.
        let e = std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string);
        let bytes = row
            .try_get::<_, Option<Raw>>(i)
            .ok()
            .flatten()
            .map_or_else(|| "?".into(), |raw| bytea_text(&raw.0));
        SqlError::new(
            "XX000",
            &format!(
                "column {i}: the client cannot decode binary {} (OID {}) as {}: {e} (bytes {bytes})",
                ty.name(),
                ty.oid(),
                std::any::type_name::<T>()
            ),
        )
    })
}

/// A value's wire bytes, for the message of a value the client cannot decode.
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// An array element as PostgreSQL's `array_out` writes it: in double quotes, with `"` and
/// `\` escaped, when empty, `NULL` in any case, or holding braces, commas, quotes,
/// backslashes or white space.
fn array_element(element: Element) -> String {
    let text = element.text;
    let special = |c: char| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace();
    let quote = element.quotable
        && (text.is_empty() || text.eq_ignore_ascii_case("null") || text.contains(special));
    if !quote {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// bytea as PostgreSQL's hex output writes it: `\x` and two lower-case digits a byte.
fn bytea_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("\\x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A float as PostgreSQL writes it with `extra_float_digits` ≥ 1: the shortest digits that
/// read back to the same value (`scientific` is Rust's shortest form, `-1.25e-7`), in fixed
/// notation for decimal exponents from -4 up to `precision` (15 for float8, 6 for float4)
/// and as `1.25e-07` outside; `NaN`, `Infinity`, `-Infinity`.
fn float_text(value: f64, scientific: String, precision: i32) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-Infinity" } else { "Infinity" }.into();
    }
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    if exponent < -4 || exponent >= precision {
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.abs());
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let fixed = if exponent < 0 {
        format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
    } else {
        let whole = exponent as usize + 1;
        if digits.len() <= whole {
            format!("{digits}{}", "0".repeat(whole - digits.len()))
        } else {
            format!("{}.{}", &digits[..whole], &digits[whole..])
        }
    };
    format!("{sign}{fixed}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_postgresql_writes_them() {
        let f8 = |v: f64| float_text(v, format!("{v:e}"), 15);
        let f4 = |v: f32| float_text(f64::from(v), format!("{v:e}"), 6);
        assert_eq!(f8(1.0), "1");
        assert_eq!(f8(-2.5), "-2.5");
        assert_eq!(f8(0.1), "0.1");
        assert_eq!(f8(0.0001), "0.0001");
        assert_eq!(f8(0.00001), "1e-05");
        assert_eq!(f8(1e14), "100000000000000");
        assert_eq!(f8(1e15), "1e+15");
        assert_eq!(f8(1e100), "1e+100");
        assert_eq!(f8(-0.0), "-0");
        assert_eq!(f8(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(f8(f64::NAN), "NaN");
        assert_eq!(f4(1234567.0), "1.234567e+06");
        assert_eq!(f4(100000.0), "100000");
        assert_eq!(f4(0.95), "0.95");
        assert_eq!(f4(1.5), "1.5");
    }

    #[test]
    fn array_elements_are_quoted_as_postgresql_quotes_them() {
        let q = |s: &str| {
            array_element(Element {
                text: s.into(),
                quotable: true,
            })
        };
        assert_eq!(q("a"), "a");
        assert_eq!(q("b c"), "\"b c\"");
        assert_eq!(q(""), "\"\"");
        assert_eq!(q("NuLL"), "\"NuLL\"");
        assert_eq!(q("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(q(&bytea_text(&[0xca, 0xfe])), "\"\\\\xcafe\"");
    }
}
