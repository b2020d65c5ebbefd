//! Floats as PostgreSQL writes them in text.
//!
//! With `extra_float_digits` ≥ 1 (psql's and most drivers' setting) PostgreSQL writes the
//! shortest digits that read back to the same value, in fixed notation when the decimal
//! exponent lies in -4..15 (float8) or -4..6 (float4) and as `1.5e+15` otherwise; infinities
//! are `Infinity`/`-Infinity`. pgwire's own encoder wrote `1.0`, `1e100` and `inf`. Other
//! `extra_float_digits` settings are left to pgwire.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use pgwire::api::Type;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::{IsNull, ToSql, to_sql_checked};

/// A float8 value, written as PostgreSQL writes it.
#[derive(Debug, Clone, Copy)]
pub struct PgFloat8(pub f64);

/// A float4 value, written as PostgreSQL writes it.
#[derive(Debug, Clone, Copy)]
pub struct PgFloat4(pub f32);

/// `value` in PostgreSQL's shortest text; `digits` is the float's digit limit (15 or 6).
fn shortest(value: f64, scientific: String, digits: i32) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // `scientific` is Rust's shortest round-trip form: `-1.25e-7`, `1e15`.
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    if value == 0.0 {
        return format!("{sign}0");
    }
    if !(-4..digits).contains(&exponent) {
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.abs());
    }
    let figures: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let text = if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        format!("0.{zeros}{figures}")
    } else {
        let integer = exponent as usize + 1;
        if figures.len() <= integer {
            format!("{figures}{}", "0".repeat(integer - figures.len()))
        } else {
            format!("{}.{}", &figures[..integer], &figures[integer..])
        }
    };
    format!("{sign}{text}")
}

/// Text as PostgreSQL writes it, binary as pgwire does, for a float newtype.
macro_rules! pg_float {
    ($name:ident, $float:ty, $digits:expr) => {
        impl ToSqlText for $name {
            fn to_sql_text(
                &self,
                ty: &Type,
                out: &mut BytesMut,
                options: &FormatOptions,
            ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
                if options.extra_float_digits < 1 {
                    return self.0.to_sql_text(ty, out, options);
                }
                let text = shortest(f64::from(self.0), format!("{:e}", self.0), $digits);
                out.put_slice(text.as_bytes());
                Ok(IsNull::No)
            }
        }

        impl ToSql for $name {
            fn to_sql(
                &self,
                ty: &Type,
                out: &mut BytesMut,
            ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
                self.0.to_sql(ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <$float as ToSql>::accepts(ty)
            }

            to_sql_checked!();
        }
    };
}

pg_float!(PgFloat8, f64, 15);
pg_float!(PgFloat4, f32, 6);

#[cfg(test)]
mod tests {
    use super::*;

    fn text8(v: f64) -> String {
        shortest(v, format!("{v:e}"), 15)
    }

    fn text4(v: f32) -> String {
        shortest(f64::from(v), format!("{v:e}"), 6)
    }

    #[test]
    fn float8_is_written_as_postgresql_writes_it() {
        let cases = [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e14, "100000000000000"),
            (1e15, "1e+15"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1e100, "1e+100"),
            (-0.0, "-0"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (value, text) in cases {
            assert_eq!(text8(value), text, "{value}");
        }
    }

    #[test]
    fn float4_is_written_as_postgresql_writes_it() {
        assert_eq!(text4(1.0), "1");
        assert_eq!(text4(0.1), "0.1");
        assert_eq!(text4(100000.0), "100000");
        assert_eq!(text4(1234567.0), "1.234567e+06");
        assert_eq!(text4(0.95), "0.95");
    }
}
