//! Arrow → Postgres: column types and cell encoding, text and binary.
//!
//! | Arrow | Postgres |
//! |---|---|
//! | Boolean | bool |
//! | Int8, Int16, UInt8 / Int32, UInt16 / Int64, UInt32 | int2 / int4 / int8 (unsigned → next wider signed) |
//! | UInt64, Decimal128 | numeric |
//! | Float16, Float32 / Float64 | float4 / float8 |
//! | Utf8, LargeUtf8, Utf8View | text |
//! | Binary, LargeBinary, BinaryView, FixedSizeBinary | bytea |
//! | Date32, Date64 / Time32, Time64 | date / time |
//! | Timestamp without / with time zone | timestamp / timestamptz |
//! | Interval, Duration | interval |
//! | List, LargeList, FixedSizeList of a scalar type | that type's array |
//! | Struct, Map, lists of nested types | json (text) |
//! | Dictionary | its value type |
//! | List marked `int2vector` / `oidvector` ([`crate::vectors`]) | that type |
//!
//! The same code formats cells for the wire and for the in-process test runner, so both see
//! identical text.

use std::sync::Arc;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, IntervalDayTimeType,
    IntervalMonthDayNanoType, IntervalUnit, IntervalYearMonthType, Schema, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions as ArrowFormatOptions};
use datafusion::common::{DataFusionError, Result};
use pg_interval::Interval;
use pgwire::api::Type;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::messages::data::DataRow;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::{IsNull, ToSql};
use rust_decimal::Decimal;

use crate::float::{PgFloat4, PgFloat8};
use crate::vectors::{vector_text, vector_type};
use serde_json::Value;

/// The Postgres type a column of `dt` is sent as.
pub fn pg_type(dt: &DataType) -> Type {
    match dt {
        DataType::Null => Type::TEXT,
        DataType::Boolean => Type::BOOL,
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => Type::INT2,
        DataType::Int32 | DataType::UInt16 => Type::INT4,
        DataType::Int64 | DataType::UInt32 => Type::INT8,
        DataType::UInt64 | DataType::Decimal32(..) | DataType::Decimal64(..) => Type::NUMERIC,
        DataType::Decimal128(..) | DataType::Decimal256(..) => Type::NUMERIC,
        DataType::Float16 | DataType::Float32 => Type::FLOAT4,
        DataType::Float64 => Type::FLOAT8,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Type::TEXT,
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => Type::BYTEA,
        DataType::Date32 | DataType::Date64 => Type::DATE,
        DataType::Time32(_) | DataType::Time64(_) => Type::TIME,
        DataType::Timestamp(_, None) => Type::TIMESTAMP,
        DataType::Timestamp(_, Some(_)) => Type::TIMESTAMPTZ,
        DataType::Interval(_) | DataType::Duration(_) => Type::INTERVAL,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            array_type(f.data_type())
        }
        DataType::Dictionary(_, value) => pg_type(value),
        _ => Type::JSON,
    }
}

fn array_type(element: &DataType) -> Type {
    match pg_type(element) {
        Type::BOOL => Type::BOOL_ARRAY,
        Type::INT2 => Type::INT2_ARRAY,
        Type::INT4 => Type::INT4_ARRAY,
        Type::INT8 => Type::INT8_ARRAY,
        Type::FLOAT4 => Type::FLOAT4_ARRAY,
        Type::FLOAT8 => Type::FLOAT8_ARRAY,
        Type::NUMERIC => Type::NUMERIC_ARRAY,
        Type::TEXT => Type::TEXT_ARRAY,
        Type::BYTEA => Type::BYTEA_ARRAY,
        Type::DATE => Type::DATE_ARRAY,
        Type::TIME => Type::TIME_ARRAY,
        Type::TIMESTAMP => Type::TIMESTAMP_ARRAY,
        Type::TIMESTAMPTZ => Type::TIMESTAMPTZ_ARRAY,
        Type::INTERVAL => Type::INTERVAL_ARRAY,
        _ => Type::JSON,
    }
}

/// Row description of `schema`; `format(i)` picks text or binary per column.
pub fn pg_fields(
    schema: &Schema,
    format: impl Fn(usize) -> FieldFormat,
    options: &Arc<FormatOptions>,
) -> Vec<FieldInfo> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            FieldInfo::new(
                client_name(f.name()),
                None,
                None,
                vector_type(f).unwrap_or_else(|| pg_type(f.data_type())),
                format(i),
            )
            .with_format_options(Arc::clone(options))
        })
        .collect()
}

/// The column name a client sees. DataFusion needs unique names where PostgreSQL repeats
/// them: datafusion-pg-catalog renames `x` in `SELECT x, t.*` to `__alias_x`, and mediasql
/// names the second `count` of a select list `__alias_<position>_count`; both are `x` and
/// `count` here.
fn client_name(name: &str) -> String {
    let Some(rest) = name.strip_prefix("__alias_") else {
        return name.to_string();
    };
    let numbered = rest
        .split_once('_')
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    numbered.map_or(rest, |(_, name)| name).to_string()
}

/// Where encoded cells go: a wire row, or a string for the in-process runner.
pub trait CellSink {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()>;
}

struct RowSink<'a>(&'a mut DataRowEncoder);

impl CellSink for RowSink<'_> {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()> {
        self.0
            .encode_field(value)
            .map_err(|e| DataFusionError::Execution(format!("encoding a result value: {e}")))
    }
}

/// Formats one cell as Postgres text, as a client receives it.
pub struct TextSink {
    pub ty: Type,
    pub out: Option<String>,
    options: FormatOptions,
}

impl CellSink for TextSink {
    fn put<T: ToSql + ToSqlText + Sized>(&mut self, value: &T) -> Result<()> {
        let mut buf = BytesMut::new();
        let is_null = value
            .to_sql_text(&self.ty, &mut buf, &self.options)
            .map_err(|e| DataFusionError::Execution(format!("encoding a result value: {e}")))?;
        self.out = match is_null {
            IsNull::Yes => None,
            IsNull::No => Some(String::from_utf8_lossy(&buf).into_owned()),
        };
        Ok(())
    }
}

/// A batch's columns, made encodable: dictionaries unpacked, and vector columns
/// ([`crate::vectors`]) as their text where `text(column)` says they go out as text.
pub fn normalize(batch: &RecordBatch, text: impl Fn(usize) -> bool) -> Result<Vec<ArrayRef>> {
    let schema = batch.schema();
    batch
        .columns()
        .iter()
        .zip(schema.fields())
        .enumerate()
        .map(|(i, (c, field))| match c.data_type() {
            DataType::Dictionary(_, value) => Ok(cast(c, value)?),
            _ if text(i) && vector_type(field).is_some() => vector_text(c),
            _ => Ok(Arc::clone(c)),
        })
        .collect()
}

/// Encodes every row of `batch` for the wire: rows of text cells column by column, others
/// cell by cell through pgwire's encoder.
pub fn encode_batch(batch: &RecordBatch, fields: &Arc<Vec<FieldInfo>>) -> Result<Vec<DataRow>> {
    let columns = normalize(batch, |i| {
        fields
            .get(i)
            .is_none_or(|f| f.format() == FieldFormat::Text)
    })?;
    if let Some(first) = fields.first()
        && fields.iter().all(|f| f.format() == FieldFormat::Text)
    {
        return crate::text_row::text_rows(&columns, batch.num_rows(), first.format_options());
    }
    let mut encoder = DataRowEncoder::new(Arc::clone(fields));
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        for column in &columns {
            encode_cell(&mut RowSink(&mut encoder), column.as_ref(), row)?;
        }
        rows.push(encoder.take_row());
    }
    Ok(rows)
}

/// Each cell of `batch` as Postgres text (`None` for NULL), for the in-process runner.
pub fn text_rows(batch: &RecordBatch) -> Result<Vec<Vec<Option<String>>>> {
    let columns = normalize(batch, |_| true)?;
    (0..batch.num_rows())
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    let mut sink = TextSink {
                        ty: pg_type(c.data_type()),
                        out: None,
                        options: FormatOptions::default(),
                    };
                    encode_cell(&mut sink, c.as_ref(), row)?;
                    Ok(sink.out)
                })
                .collect()
        })
        .collect()
}

/// Encodes the cell at `row` of `array` (typed as [`pg_type`] says).
pub fn encode_cell<S: CellSink>(sink: &mut S, array: &dyn Array, row: usize) -> Result<()> {
    if array.is_null(row) {
        return sink.put(&None::<i32>);
    }
    match array.data_type() {
        DataType::Null => sink.put(&None::<i32>),
        DataType::Boolean => sink.put(&array.as_boolean().value(row)),
        DataType::Int8 => sink.put(&i16::from(array.as_primitive::<Int8Type>().value(row))),
        DataType::Int16 => sink.put(&array.as_primitive::<Int16Type>().value(row)),
        DataType::UInt8 => sink.put(&i16::from(array.as_primitive::<UInt8Type>().value(row))),
        DataType::Int32 => sink.put(&array.as_primitive::<Int32Type>().value(row)),
        DataType::UInt16 => sink.put(&i32::from(array.as_primitive::<UInt16Type>().value(row))),
        DataType::Int64 => sink.put(&array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt32 => sink.put(&i64::from(array.as_primitive::<UInt32Type>().value(row))),
        DataType::UInt64 => sink.put(&Decimal::from(
            array.as_primitive::<UInt64Type>().value(row),
        )),
        DataType::Decimal128(_, scale) => {
            let v = array.as_primitive::<Decimal128Type>().value(row);
            let d = Decimal::try_from_i128_with_scale(v, u32::try_from(*scale).unwrap_or(0))
                .map_err(|e| DataFusionError::Execution(format!("numeric out of range: {e}")))?;
            sink.put(&d)
        }
        DataType::Float16 | DataType::Float32 => sink.put(&PgFloat4(float(array, row)?)),
        DataType::Float64 => sink.put(&PgFloat8(array.as_primitive::<Float64Type>().value(row))),
        DataType::Utf8 => sink.put(&array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => sink.put(&array.as_string::<i64>().value(row)),
        DataType::Utf8View => sink.put(&array.as_string_view().value(row)),
        DataType::Binary => sink.put(&array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => sink.put(&array.as_binary::<i64>().value(row)),
        DataType::BinaryView => sink.put(&array.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => sink.put(&array.as_fixed_size_binary().value(row)),
        DataType::Date32 | DataType::Date64 => sink.put(&date(array, row)?),
        DataType::Time32(_) | DataType::Time64(_) => sink.put(&time(array, row)?),
        DataType::Timestamp(unit, tz) => {
            let naive = timestamp(array, *unit, row)?;
            match tz {
                None => sink.put(&naive),
                Some(_) => sink.put(&DateTime::<Utc>::from_naive_utc_and_offset(naive, Utc)),
            }
        }
        DataType::Interval(_) | DataType::Duration(_) => sink.put(&interval(array, row)?),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if array_type(f.data_type()) != Type::JSON =>
        {
            encode_list(sink, &list_values(array, row)?)
        }
        _ => sink.put(&cell_json(array, row)?),
    }
}

fn list_values(array: &dyn Array, row: usize) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().value(row),
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        _ => array.as_fixed_size_list().value(row),
    })
}

/// Encodes a list cell as a Postgres array of its element type.
fn encode_list<S: CellSink>(sink: &mut S, values: &ArrayRef) -> Result<()> {
    let values = match values.data_type() {
        DataType::Dictionary(_, v) => cast(values, v)?,
        _ => Arc::clone(values),
    };
    macro_rules! collect {
        ($f:expr) => {{
            let items: Vec<Option<_>> = (0..values.len())
                .map(|i| {
                    if values.is_null(i) {
                        Ok(None)
                    } else {
                        $f(i).map(Some)
                    }
                })
                .collect::<Result<_>>()?;
            sink.put(&items)
        }};
    }
    let v = values.as_ref();
    match pg_type(v.data_type()) {
        Type::BOOL => collect!(|i| Ok(v.as_boolean().value(i))),
        Type::INT2 => collect!(|i| small_int(v, i)),
        Type::INT4 => collect!(|i| int(v, i)),
        Type::INT8 => collect!(|i| big_int(v, i)),
        Type::FLOAT4 => collect!(|i| float(v, i).map(PgFloat4)),
        Type::FLOAT8 => collect!(|i| Ok(PgFloat8(v.as_primitive::<Float64Type>().value(i)))),
        Type::TEXT => collect!(|i| string(v, i)),
        Type::BYTEA => collect!(|i| bytes(v, i)),
        Type::DATE => collect!(|i| date(v, i)),
        Type::TIME => collect!(|i| time(v, i)),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => match v.data_type() {
            DataType::Timestamp(unit, Some(_)) => {
                let unit = *unit;
                collect!(|i| timestamp(v, unit, i)
                    .map(|n| DateTime::<Utc>::from_naive_utc_and_offset(n, Utc)))
            }
            DataType::Timestamp(unit, None) => {
                let unit = *unit;
                collect!(|i| timestamp(v, unit, i))
            }
            _ => sink.put(&json_list(v)?),
        },
        Type::INTERVAL => collect!(|i| interval(v, i)),
        _ => collect!(|i| string_of(v, i)),
    }
}

fn small_int(a: &dyn Array, i: usize) -> Result<i16> {
    Ok(match a.data_type() {
        DataType::Int8 => i16::from(a.as_primitive::<Int8Type>().value(i)),
        DataType::UInt8 => i16::from(a.as_primitive::<UInt8Type>().value(i)),
        _ => a.as_primitive::<Int16Type>().value(i),
    })
}

fn int(a: &dyn Array, i: usize) -> Result<i32> {
    Ok(match a.data_type() {
        DataType::UInt16 => i32::from(a.as_primitive::<UInt16Type>().value(i)),
        _ => a.as_primitive::<Int32Type>().value(i),
    })
}

fn big_int(a: &dyn Array, i: usize) -> Result<i64> {
    Ok(match a.data_type() {
        DataType::UInt32 => i64::from(a.as_primitive::<UInt32Type>().value(i)),
        _ => a.as_primitive::<Int64Type>().value(i),
    })
}

fn float(a: &dyn Array, i: usize) -> Result<f32> {
    Ok(match a.data_type() {
        DataType::Float16 => a.as_primitive::<Float16Type>().value(i).to_f32(),
        _ => a.as_primitive::<Float32Type>().value(i),
    })
}

fn string(a: &dyn Array, i: usize) -> Result<String> {
    Ok(match a.data_type() {
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => a.as_string_view().value(i).to_string(),
        _ => a.as_string::<i32>().value(i).to_string(),
    })
}

fn bytes(a: &dyn Array, i: usize) -> Result<Vec<u8>> {
    Ok(match a.data_type() {
        DataType::LargeBinary => a.as_binary::<i64>().value(i).to_vec(),
        DataType::BinaryView => a.as_binary_view().value(i).to_vec(),
        DataType::FixedSizeBinary(_) => a.as_fixed_size_binary().value(i).to_vec(),
        _ => a.as_binary::<i32>().value(i).to_vec(),
    })
}

fn out_of_range(what: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{what} out of range for Postgres"))
}

fn date(a: &dyn Array, i: usize) -> Result<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| out_of_range("date"))?;
    let days = match a.data_type() {
        DataType::Date64 => a.as_primitive::<Date64Type>().value(i) / 86_400_000,
        _ => i64::from(a.as_primitive::<Date32Type>().value(i)),
    };
    epoch
        .checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(|| out_of_range("date"))
}

fn time(a: &dyn Array, i: usize) -> Result<NaiveTime> {
    let nanos: i64 = match a.data_type() {
        DataType::Time32(TimeUnit::Second) => {
            i64::from(a.as_primitive::<Time32SecondType>().value(i)) * 1_000_000_000
        }
        DataType::Time32(_) => {
            i64::from(a.as_primitive::<Time32MillisecondType>().value(i)) * 1_000_000
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            a.as_primitive::<Time64MicrosecondType>().value(i) * 1_000
        }
        _ => a.as_primitive::<Time64NanosecondType>().value(i),
    };
    let secs = u32::try_from(nanos.div_euclid(1_000_000_000)).map_err(|_| out_of_range("time"))?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).map_err(|_| out_of_range("time"))?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, sub).ok_or_else(|| out_of_range("time"))
}

fn timestamp(a: &dyn Array, unit: TimeUnit, i: usize) -> Result<NaiveDateTime> {
    let dt = match unit {
        TimeUnit::Second => {
            DateTime::from_timestamp(a.as_primitive::<TimestampSecondType>().value(i), 0)
        }
        TimeUnit::Millisecond => {
            DateTime::from_timestamp_millis(a.as_primitive::<TimestampMillisecondType>().value(i))
        }
        TimeUnit::Microsecond => {
            DateTime::from_timestamp_micros(a.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(
            a.as_primitive::<TimestampNanosecondType>().value(i),
        )),
    };
    dt.map(|d| d.naive_utc())
        .ok_or_else(|| out_of_range("timestamp"))
}

fn interval(a: &dyn Array, i: usize) -> Result<Interval> {
    let micros = |nanos: i64| nanos / 1_000;
    Ok(match a.data_type() {
        DataType::Interval(IntervalUnit::YearMonth) => {
            Interval::new(a.as_primitive::<IntervalYearMonthType>().value(i), 0, 0)
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = a.as_primitive::<IntervalDayTimeType>().value(i);
            Interval::new(0, v.days, i64::from(v.milliseconds) * 1_000)
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = a.as_primitive::<IntervalMonthDayNanoType>().value(i);
            Interval::new(v.months, v.days, micros(v.nanoseconds))
        }
        DataType::Duration(unit) => {
            let us = match unit {
                TimeUnit::Second => a.as_primitive::<DurationSecondType>().value(i) * 1_000_000,
                TimeUnit::Millisecond => {
                    a.as_primitive::<DurationMillisecondType>().value(i) * 1_000
                }
                TimeUnit::Microsecond => a.as_primitive::<DurationMicrosecondType>().value(i),
                TimeUnit::Nanosecond => micros(a.as_primitive::<DurationNanosecondType>().value(i)),
            };
            Interval::new(0, 0, us)
        }
        other => {
            return Err(DataFusionError::Execution(format!(
                "{other} is not an interval"
            )));
        }
    })
}

/// A cell of any type as Arrow's display text.
fn string_of(a: &dyn Array, i: usize) -> Result<String> {
    let options = ArrowFormatOptions::default();
    let formatter = ArrayFormatter::try_new(a, &options)?;
    Ok(formatter.value(i).to_string())
}

/// A cell of a nested type (struct, map, list of nested) as JSON.
fn cell_json(a: &dyn Array, i: usize) -> Result<Value> {
    if a.is_null(i) {
        return Ok(Value::Null);
    }
    Ok(match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::Int32 | DataType::UInt16 => {
            Value::from(i64::from(int_wide(a, i)?))
        }
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt32 => Value::from(a.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => Value::from(a.as_primitive::<UInt64Type>().value(i)),
        DataType::Float16 | DataType::Float32 => Value::from(f64::from(float(a, i)?)),
        DataType::Float64 => Value::from(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Value::String(string(a, i)?),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            json_list(list_values(a, i)?.as_ref())?
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut object = serde_json::Map::new();
            for (field, column) in fields.iter().zip(s.columns()) {
                object.insert(field.name().clone(), cell_json(column.as_ref(), i)?);
            }
            Value::Object(object)
        }
        DataType::Map(..) => {
            let entries = a.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut object = serde_json::Map::new();
            for e in 0..entries.len() {
                object.insert(string_of(keys.as_ref(), e)?, cell_json(values.as_ref(), e)?);
            }
            Value::Object(object)
        }
        _ => Value::String(string_of(a, i)?),
    })
}

fn int_wide(a: &dyn Array, i: usize) -> Result<i32> {
    Ok(match a.data_type() {
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => i32::from(small_int(a, i)?),
        _ => int(a, i)?,
    })
}

fn json_list(values: &dyn Array) -> Result<Value> {
    Ok(Value::Array(
        (0..values.len())
            .map(|j| cell_json(values, j))
            .collect::<Result<_>>()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        BooleanArray, Int32Array, ListArray, StringArray, StructArray, TimestampMicrosecondArray,
        UInt64Array,
    };
    use datafusion::arrow::datatypes::{Field, Int32Type as I32};

    #[test]
    fn clients_see_the_names_postgresql_gives() {
        assert_eq!(client_name("count"), "count");
        assert_eq!(client_name("__alias_oid"), "oid");
        assert_eq!(client_name("__alias_3_count"), "count");
        assert_eq!(client_name("__alias_0_?column?"), "?column?");
        assert_eq!(client_name("__alias_x_y"), "x_y");
    }

    fn text(array: ArrayRef) -> Vec<Option<String>> {
        let schema = Schema::new(vec![Field::new("c", array.data_type().clone(), true)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![array]).unwrap();
        text_rows(&batch)
            .unwrap()
            .into_iter()
            .map(|mut r| r.remove(0))
            .collect()
    }

    #[test]
    fn scalars_format_as_postgres_does() {
        assert_eq!(
            text(Arc::new(BooleanArray::from(vec![Some(true), None]))),
            vec![Some("t".into()), None]
        );
        assert_eq!(
            text(Arc::new(UInt64Array::from(vec![u64::MAX]))),
            vec![Some("18446744073709551615".into())]
        );
        let ts = TimestampMicrosecondArray::from(vec![0]).with_timezone("UTC");
        assert_eq!(
            text(Arc::new(ts)),
            vec![Some("1970-01-01 00:00:00.000000+00".into())]
        );
    }

    #[test]
    fn lists_become_arrays_and_structs_json() {
        let list = ListArray::from_iter_primitive::<I32, _, _>(vec![Some(vec![Some(1), None])]);
        assert_eq!(pg_type(list.data_type()), Type::INT4_ARRAY);
        assert_eq!(text(Arc::new(list)), vec![Some("{1,NULL}".into())]);

        let s = StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int32, true)),
                Arc::new(Int32Array::from(vec![7])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
            ),
        ]);
        assert_eq!(pg_type(s.data_type()), Type::JSON);
        assert_eq!(text(Arc::new(s)), vec![Some(r#"{"a":7,"b":"x"}"#.into())]);
    }
}
