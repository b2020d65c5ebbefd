//! `COPY (query) TO STDOUT` and `COPY table TO STDOUT`, in PostgreSQL's text, CSV and binary
//! formats: the query's rows stream out as CopyData chunks, one per batch, never collected.

use bytes::{BufMut, Bytes, BytesMut};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use datafusion::common::{Result, plan_err};
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Query, Statement,
};

use crate::server::encode::text_rows;

/// The format of a `COPY ... TO STDOUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    pub kind: CopyKind,
    pub header: bool,
    pub delimiter: char,
    pub null: String,
    pub quote: char,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    Text,
    Csv,
    Binary,
}

impl CopyFormat {
    fn new(kind: CopyKind) -> Self {
        let csv = kind == CopyKind::Csv;
        Self {
            kind,
            header: false,
            delimiter: if csv { ',' } else { '\t' },
            null: if csv { String::new() } else { "\\N".into() },
            quote: '"',
        }
    }

    /// The wire format code (0 text, 1 binary).
    pub fn code(&self) -> i8 {
        i8::from(self.kind == CopyKind::Binary)
    }
}

/// The query and format of `statement` when it is a `COPY ... TO STDOUT`.
pub fn copy_to_stdout(statement: &Statement) -> Option<Result<(Query, CopyFormat)>> {
    let Statement::Copy {
        source,
        to: true,
        target: CopyTarget::Stdout,
        options,
        legacy_options,
        ..
    } = statement
    else {
        return None;
    };
    Some(parse_copy(source, options, legacy_options))
}

fn parse_copy(
    source: &CopySource,
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> Result<(Query, CopyFormat)> {
    let query = match source {
        CopySource::Query(query) => query.as_ref().clone(),
        CopySource::Table {
            table_name,
            columns,
        } => {
            let columns = if columns.is_empty() {
                "*".to_string()
            } else {
                let names: Vec<String> = columns.iter().map(ToString::to_string).collect();
                names.join(", ")
            };
            let sql = format!("SELECT {columns} FROM {table_name}");
            let dialect = datafusion::sql::sqlparser::dialect::PostgreSqlDialect {};
            let mut parsed = datafusion::sql::sqlparser::parser::Parser::parse_sql(&dialect, &sql)
                .map_err(|e| datafusion::common::DataFusionError::SQL(Box::new(e), None))?;
            match parsed.pop() {
                Some(Statement::Query(query)) => *query,
                _ => return plan_err!("COPY: cannot read table {table_name}"),
            }
        }
    };
    Ok((query, parse_options(options, legacy)?))
}

fn parse_options(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyFormat> {
    let mut kind = CopyKind::Text;
    for option in options {
        if let CopyOption::Format(name) = option {
            kind = match name.value.to_ascii_lowercase().as_str() {
                "text" => CopyKind::Text,
                "csv" => CopyKind::Csv,
                "binary" => CopyKind::Binary,
                other => return plan_err!("COPY format \"{other}\" not recognized"),
            };
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Binary => kind = CopyKind::Binary,
            CopyLegacyOption::Csv(_) => kind = CopyKind::Csv,
            _ => {}
        }
    }
    let mut format = CopyFormat::new(kind);
    for option in options {
        match option {
            CopyOption::Header(header) => format.header = *header,
            CopyOption::Delimiter(c) => format.delimiter = *c,
            CopyOption::Null(null) => format.null = null.clone(),
            CopyOption::Quote(c) => format.quote = *c,
            CopyOption::Format(_) | CopyOption::Encoding(_) => {}
            other => return plan_err!("COPY TO STDOUT: option {other} is not supported"),
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Delimiter(c) => format.delimiter = *c,
            CopyLegacyOption::Null(null) => format.null = null.clone(),
            CopyLegacyOption::Csv(csv) => {
                for csv_option in csv {
                    match csv_option {
                        CopyLegacyCsvOption::Header => format.header = true,
                        CopyLegacyCsvOption::Quote(c) => format.quote = *c,
                        other => {
                            return plan_err!("COPY TO STDOUT: option {other} is not supported");
                        }
                    }
                }
            }
            CopyLegacyOption::Binary => {}
            other => return plan_err!("COPY TO STDOUT: option {other} is not supported"),
        }
    }
    if format.header && kind == CopyKind::Text {
        return plan_err!("COPY HEADER available only in CSV mode");
    }
    Ok(format)
}

/// The binary format's file header: signature, flags, header extension length.
pub fn binary_header() -> Bytes {
    let mut out = BytesMut::with_capacity(19);
    out.put_slice(b"PGCOPY\n\xff\r\n\0");
    out.put_i32(0);
    out.put_i32(0);
    out.freeze()
}

/// The header line (CSV with HEADER): the names of `schema`'s columns.
pub fn header_line(schema: &Schema, format: &CopyFormat) -> Bytes {
    let cells: Vec<Option<String>> = schema
        .fields()
        .iter()
        .map(|f| Some(f.name().clone()))
        .collect();
    let mut out = BytesMut::new();
    text_line(&mut out, &cells, format);
    out.freeze()
}

/// `batch` as text or CSV lines, one per row.
pub fn text_lines(batch: &RecordBatch, format: &CopyFormat) -> Result<Vec<Bytes>> {
    let rows = text_rows(batch)?;
    Ok(rows
        .iter()
        .map(|row| {
            let mut out = BytesMut::new();
            text_line(&mut out, row, format);
            out.freeze()
        })
        .collect())
}

fn text_line(out: &mut BytesMut, cells: &[Option<String>], format: &CopyFormat) {
    let mut delimiter = [0u8; 4];
    let delimiter = format.delimiter.encode_utf8(&mut delimiter).as_bytes();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.put_slice(delimiter);
        }
        match (cell, format.kind) {
            (None, _) => out.put_slice(format.null.as_bytes()),
            (Some(value), CopyKind::Csv) => csv_cell(out, value, format),
            (Some(value), _) => text_cell(out, value, format.delimiter),
        }
    }
    out.put_u8(b'\n');
}

/// Text format: backslash escapes for `\`, newlines, tabs and the delimiter.
fn text_cell(out: &mut BytesMut, value: &str, delimiter: char) {
    for c in value.chars() {
        match c {
            '\\' => out.put_slice(b"\\\\"),
            '\n' => out.put_slice(b"\\n"),
            '\r' => out.put_slice(b"\\r"),
            '\t' => out.put_slice(b"\\t"),
            c if c == delimiter => {
                out.put_u8(b'\\');
                out.put_slice(c.to_string().as_bytes());
            }
            c => out.put_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
        }
    }
}

/// CSV: quoted when it holds the delimiter, the quote, a line break, or could be read as NULL.
fn csv_cell(out: &mut BytesMut, value: &str, format: &CopyFormat) {
    let needs_quotes = value.is_empty()
        || value == format.null
        || value
            .chars()
            .any(|c| c == format.delimiter || c == format.quote || c == '\n' || c == '\r');
    if !needs_quotes {
        out.put_slice(value.as_bytes());
        return;
    }
    let quote = format.quote.to_string();
    out.put_slice(quote.as_bytes());
    out.put_slice(value.replace(&quote, &format!("{quote}{quote}")).as_bytes());
    out.put_slice(quote.as_bytes());
}

/// The query and format of a `COPY ... TO STDOUT`.
pub fn copy_out_query(statement: &SqlStatement) -> Option<Result<(SqlStatement, CopyFormat)>> {
    let SqlStatement::Statement(statement) = statement else {
        return None;
    };
    let copy = copy_to_stdout(statement)?;
    Some(copy.map(|(query, format)| {
        let query = Statement::Query(Box::new(query));
        (SqlStatement::Statement(Box::new(query)), format)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{Int32Array, StringArray};
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn format_of(sql: &str) -> CopyFormat {
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        copy_to_stdout(&statement).unwrap().unwrap().1
    }

    fn batch() -> RecordBatch {
        RecordBatch::try_from_iter([
            ("n", Arc::new(Int32Array::from(vec![Some(1), None])) as _),
            (
                "s",
                Arc::new(StringArray::from(vec![
                    Some("a,b \"q\""),
                    Some("tab\there"),
                ])) as _,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn writes_text_and_csv() {
        let text = format_of("COPY (SELECT 1) TO STDOUT");
        assert_eq!(
            text_lines(&batch(), &text).unwrap().concat(),
            b"1\ta,b \"q\"\n\\N\ttab\\there\n"
        );
        let csv = format_of("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv, HEADER)");
        assert!(csv.header);
        assert_eq!(
            text_lines(&batch(), &csv).unwrap().concat(),
            b"1,\"a,b \"\"q\"\"\"\n,tab\there\n"
        );
        assert_eq!(
            format_of("COPY t TO STDOUT WITH CSV HEADER").kind,
            CopyKind::Csv
        );
        assert_eq!(format_of("COPY t TO STDOUT (FORMAT binary)").code(), 1);
    }
}
