//! Text-format rows written column by column straight into each `DataRow`'s buffer: the
//! types every result is made of (integers, booleans, strings, ISO timestamps) are formatted
//! here without a per-cell trip through pgwire's generic encoder (which re-parses the date
//! style and a strftime pattern for every timestamp); every other type goes through
//! [`encode_cell`](crate::cell::encode_cell), so the text is the same either way.

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, Datelike, Timelike};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, GenericStringArray, PrimitiveArray, StringViewArray,
};
use datafusion::arrow::datatypes::{
    DataType, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{DataFusionError, Result};
use pgwire::api::Type;
use pgwire::messages::data::DataRow;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::{IsNull, ToSql};

use crate::cell::{CellSink, encode_cell};
use crate::types::pg_type;

/// One column, typed once per batch.
enum Column<'a> {
    Bool(&'a BooleanArray),
    Int16(&'a PrimitiveArray<Int16Type>),
    Int32(&'a PrimitiveArray<Int32Type>),
    Int64(&'a PrimitiveArray<Int64Type>),
    Utf8(&'a GenericStringArray<i32>),
    LargeUtf8(&'a GenericStringArray<i64>),
    Utf8View(&'a StringViewArray),
    /// A timestamp without time zone as seconds and nanoseconds since the epoch.
    Timestamp(&'a dyn Array, TimeUnit),
    Other(&'a dyn Array, Type),
}

impl<'a> Column<'a> {
    fn of(array: &'a ArrayRef, iso_dates: bool) -> Self {
        match array.data_type() {
            DataType::Boolean => Self::Bool(array.as_boolean()),
            DataType::Int16 => Self::Int16(array.as_primitive()),
            DataType::Int32 => Self::Int32(array.as_primitive()),
            DataType::Int64 => Self::Int64(array.as_primitive()),
            DataType::Utf8 => Self::Utf8(array.as_string()),
            DataType::LargeUtf8 => Self::LargeUtf8(array.as_string()),
            DataType::Utf8View => Self::Utf8View(array.as_string_view()),
            DataType::Timestamp(unit, None) if iso_dates => Self::Timestamp(array.as_ref(), *unit),
            other => Self::Other(array.as_ref(), pg_type(other)),
        }
    }
}

/// Writes one cell's text with its length in front into a row buffer.
struct RawSink<'a> {
    out: &'a mut BytesMut,
    ty: &'a Type,
    options: &'a FormatOptions,
}

impl CellSink for RawSink<'_> {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()> {
        let start = self.out.len();
        self.out.put_i32(-1);
        let is_null = value
            .to_sql_text(self.ty, self.out, self.options)
            .map_err(|e| DataFusionError::Execution(format!("encoding a result value: {e}")))?;
        if let IsNull::No = is_null {
            patch_length(self.out, start);
        }
        Ok(())
    }
}

/// Sets the length in front of the value written after `start`.
fn patch_length(out: &mut BytesMut, start: usize) {
    let len = (out.len() - start - 4) as i32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

fn put_text(out: &mut BytesMut, text: &[u8]) {
    out.put_i32(text.len() as i32);
    out.put_slice(text);
}

fn put_int(out: &mut BytesMut, value: impl itoa::Integer) {
    let mut buffer = itoa::Buffer::new();
    put_text(out, buffer.format(value).as_bytes());
}

/// `YYYY-MM-DD HH:MM:SS.ffffff`, as pgwire's ISO date style writes it (years 0 to 9999;
/// false, writing nothing, for others, which go the generic way).
fn put_timestamp(out: &mut BytesMut, seconds: i64, nanos: u32) -> bool {
    let Some(t) = DateTime::from_timestamp(seconds, nanos).map(|t| t.naive_utc()) else {
        return false;
    };
    if !(0..=9999).contains(&t.year()) {
        return false;
    }
    let mut text = [0u8; 26];
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut v = value;
        for i in (0..digits).rev() {
            text[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, t.year() as u32, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    put(17, t.second(), 2);
    put(20, t.nanosecond() % 1_000_000_000 / 1000, 6);
    for (at, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b' '),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        text[at] = c;
    }
    put_text(out, &text);
    true
}

/// Seconds and nanoseconds of a timestamp value in `unit`.
fn split(value: i64, unit: TimeUnit) -> (i64, u32) {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let nanos_per_unit = 1_000_000_000 / per_second;
    let (s, r) = (value.div_euclid(per_second), value.rem_euclid(per_second));
    (s, (r * nanos_per_unit) as u32)
}

fn timestamp_value(array: &dyn Array, unit: TimeUnit, row: usize) -> i64 {
    match unit {
        TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(row),
        TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(row),
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(row),
        TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(row),
    }
}

/// Every row of `columns` as a text-format `DataRow`.
pub fn text_rows(
    columns: &[ArrayRef],
    rows: usize,
    options: &FormatOptions,
) -> Result<Vec<DataRow>> {
    let iso_dates = options
        .date_style
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("ISO");
    let typed: Vec<Column> = columns.iter().map(|c| Column::of(c, iso_dates)).collect();
    let mut out = Vec::with_capacity(rows);
    // One allocation for the batch; each row splits its bytes off the front.
    let mut data = BytesMut::with_capacity(rows * 16 * typed.len());
    for row in 0..rows {
        for (column, array) in typed.iter().zip(columns) {
            if array.is_null(row) {
                data.put_i32(-1);
                continue;
            }
            put_cell(&mut data, column, row, options)?;
        }
        out.push(DataRow::new(data.split(), typed.len() as i16));
    }
    Ok(out)
}

fn put_cell(
    out: &mut BytesMut,
    column: &Column,
    row: usize,
    options: &FormatOptions,
) -> Result<()> {
    match column {
        Column::Bool(a) => put_text(out, if a.value(row) { b"t" } else { b"f" }),
        Column::Int16(a) => put_int(out, a.value(row)),
        Column::Int32(a) => put_int(out, a.value(row)),
        Column::Int64(a) => put_int(out, a.value(row)),
        Column::Utf8(a) => put_text(out, a.value(row).as_bytes()),
        Column::LargeUtf8(a) => put_text(out, a.value(row).as_bytes()),
        Column::Utf8View(a) => put_text(out, a.value(row).as_bytes()),
        Column::Timestamp(a, unit) => {
            let (seconds, nanos) = split(timestamp_value(*a, *unit, row), *unit);
            if !put_timestamp(out, seconds, nanos) {
                let mut sink = RawSink {
                    out,
                    ty: &Type::TIMESTAMP,
                    options,
                };
                encode_cell(&mut sink, *a, row)?;
            }
        }
        Column::Other(a, ty) => {
            let mut sink = RawSink { out, ty, options };
            encode_cell(&mut sink, *a, row)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
    };
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;

    /// The fast rows carry the same text as the generic encoder's.
    #[test]
    fn same_text_as_the_generic_encoder() {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(-42), None, Some(i64::MAX)])),
            Arc::new(StringArray::from(vec![Some("a"), Some(""), None])),
            Arc::new(Float64Array::from(vec![0.25, 1.0, -3.5])),
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(1_767_225_637_000_001),
                Some(-1),
                Some(253_402_300_800_000_000),
            ])),
            Arc::new(BooleanArray::from(vec![true, false, true])),
        ];
        let fields: Vec<Field> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(format!("c{i}"), c.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.clone()).unwrap();
        let expected = crate::encode::text_rows(&batch).unwrap();
        let rows = text_rows(&columns, 3, &FormatOptions::default()).unwrap();
        for (row, want) in rows.iter().zip(expected) {
            let mut cells = Vec::new();
            let mut data = &row.data[..];
            while data.len() >= 4 {
                let len = i32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                data = &data[4..];
                if len < 0 {
                    cells.push(None);
                } else {
                    let (cell, rest) = data.split_at(len as usize);
                    cells.push(Some(String::from_utf8(cell.to_vec()).unwrap()));
                    data = rest;
                }
            }
            assert_eq!(cells, want);
        }
    }
}
