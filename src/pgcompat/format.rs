//! `format(formatstr, args...)`, PostgreSQL's string formatting, which Metabase's column sync
//! calls (`FORMAT('%I.%I', schema, table)`).
//!
//! Supported: `%s` (the value as text, NULL as nothing), `%I` (an SQL identifier, quoted when
//! it needs quotes), `%L` (an SQL literal, `NULL` for NULL), `%%`, and positions (`%2$s`).
//! Widths and flags are an error naming the specifier. A NULL format gives NULL.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The `format` function.
pub fn format() -> ScalarUDF {
    ScalarUDF::new_from_impl(Format {
        signature: Signature::variadic_any(Volatility::Stable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Format {
    signature: Signature,
}

impl ScalarUDFImpl for Format {
    fn name(&self) -> &str {
        "format"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if args.is_empty() {
            return plan_err!("format(formatstr, ...) needs a format string");
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let texts = args
            .args
            .iter()
            .map(|a| {
                let array = a.to_array(rows)?;
                let text = cast(&array, &DataType::Utf8)?;
                Ok(text)
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let texts: Vec<&StringArray> = texts
            .iter()
            .map(|a| datafusion::common::cast::as_string_array(a))
            .collect::<Result<_>>()?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            if texts[0].is_null(row) {
                out.append_null();
                continue;
            }
            let values: Vec<Option<&str>> = texts[1..]
                .iter()
                .map(|a| (!a.is_null(row)).then(|| a.value(row)))
                .collect();
            out.append_value(format_row(texts[0].value(row), &values)?);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `template` with its specifiers replaced by `values`.
fn format_row(template: &str, values: &[Option<&str>]) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit() || **d == '$') {
            spec.push(d);
            chars.next();
        }
        let Some(kind) = chars.next() else {
            return exec_err!("format(): unterminated format specifier in {template:?}");
        };
        if kind == '%' && spec.is_empty() {
            out.push('%');
            continue;
        }
        let position = match spec.strip_suffix('$') {
            Some(n) => match n.parse::<usize>() {
                Ok(n) if n >= 1 => n - 1,
                _ => return exec_err!("format(): bad argument position in %{spec}{kind}"),
            },
            None if spec.is_empty() => next,
            None => return exec_err!("format(): widths are not supported: %{spec}{kind}"),
        };
        next = position + 1;
        let Some(value) = values.get(position) else {
            return exec_err!("format(): too few arguments for {template:?}");
        };
        match kind {
            's' => out.push_str(value.unwrap_or("")),
            'I' => match value {
                Some(v) => out.push_str(&quote_ident(v)),
                None => return exec_err!("format(): a NULL cannot be an identifier (%I)"),
            },
            'L' => match value {
                Some(v) => out.push_str(&format!("'{}'", v.replace('\'', "''"))),
                None => out.push_str("NULL"),
            },
            other => return exec_err!("format(): unrecognized format specifier %{other}"),
        }
    }
    Ok(out)
}

/// `name`, in double quotes unless it is a plain lower-case identifier.
fn quote_ident(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_are_replaced_as_postgresql_does() {
        let values = [Some("public"), Some("My Table"), None];
        assert_eq!(format_row("%I.%I", &values).unwrap(), "public.\"My Table\"");
        assert_eq!(format_row("%s|%s|%s", &values).unwrap(), "public|My Table|");
        assert_eq!(format_row("%3$L %1$L", &values).unwrap(), "NULL 'public'");
        assert_eq!(format_row("100%%", &[]).unwrap(), "100%");
    }

    #[test]
    fn bad_specifiers_are_errors() {
        assert!(format_row("%s %s", &[Some("a")]).is_err());
        assert!(format_row("%x", &[Some("a")]).is_err());
        assert!(format_row("%10s", &[Some("a")]).is_err());
        assert!(format_row("%I", &[None]).is_err());
    }
}
