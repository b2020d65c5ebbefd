//! One Arrow cell read as the Rust value its Postgres type is encoded from (`int2` from an
//! `Int8` or `UInt8`, `numeric` from a `UInt64` or `Decimal128`, `date` from days since the
//! epoch, ...), for single cells and list elements alike.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Int8Type, Int16Type, Int32Type, Int64Type, IntervalDayTimeType, IntervalMonthDayNanoType,
    IntervalUnit, IntervalYearMonthType, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions as ArrowFormatOptions};
use datafusion::common::{DataFusionError, Result};
use pg_interval::Interval;
use rust_decimal::Decimal;

/// The elements of the list cell at `row` of `array`.
pub fn list_values(array: &dyn Array, row: usize) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().value(row),
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        _ => array.as_fixed_size_list().value(row),
    })
}

pub fn small_int(a: &dyn Array, i: usize) -> Result<i16> {
    Ok(match a.data_type() {
        DataType::Int8 => i16::from(a.as_primitive::<Int8Type>().value(i)),
        DataType::UInt8 => i16::from(a.as_primitive::<UInt8Type>().value(i)),
        _ => a.as_primitive::<Int16Type>().value(i),
    })
}

pub fn int(a: &dyn Array, i: usize) -> Result<i32> {
    Ok(match a.data_type() {
        DataType::UInt16 => i32::from(a.as_primitive::<UInt16Type>().value(i)),
        _ => a.as_primitive::<Int32Type>().value(i),
    })
}

pub fn big_int(a: &dyn Array, i: usize) -> Result<i64> {
    Ok(match a.data_type() {
        DataType::UInt32 => i64::from(a.as_primitive::<UInt32Type>().value(i)),
        _ => a.as_primitive::<Int64Type>().value(i),
    })
}

pub fn float(a: &dyn Array, i: usize) -> Result<f32> {
    Ok(match a.data_type() {
        DataType::Float16 => a.as_primitive::<Float16Type>().value(i).to_f32(),
        _ => a.as_primitive::<Float32Type>().value(i),
    })
}

pub fn string(a: &dyn Array, i: usize) -> Result<String> {
    Ok(match a.data_type() {
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => a.as_string_view().value(i).to_string(),
        _ => a.as_string::<i32>().value(i).to_string(),
    })
}

pub fn bytes(a: &dyn Array, i: usize) -> Result<Vec<u8>> {
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

pub fn date(a: &dyn Array, i: usize) -> Result<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| out_of_range("date"))?;
    let days = match a.data_type() {
        DataType::Date64 => a.as_primitive::<Date64Type>().value(i) / 86_400_000,
        _ => i64::from(a.as_primitive::<Date32Type>().value(i)),
    };
    epoch
        .checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(|| out_of_range("date"))
}

pub fn time(a: &dyn Array, i: usize) -> Result<NaiveTime> {
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

pub fn timestamp(a: &dyn Array, unit: TimeUnit, i: usize) -> Result<NaiveDateTime> {
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

pub fn interval(a: &dyn Array, i: usize) -> Result<Interval> {
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
pub fn string_of(a: &dyn Array, i: usize) -> Result<String> {
    let options = ArrowFormatOptions::default();
    let formatter = ArrayFormatter::try_new(a, &options)?;
    Ok(formatter.value(i).to_string())
}

/// A numeric cell (`UInt64` or `Decimal128`) as the decimal Postgres receives.
pub fn numeric(a: &dyn Array, i: usize) -> Result<Decimal> {
    match a.data_type() {
        DataType::UInt64 => Ok(Decimal::from(a.as_primitive::<UInt64Type>().value(i))),
        DataType::Decimal128(_, scale) => {
            let v = a.as_primitive::<Decimal128Type>().value(i);
            Decimal::try_from_i128_with_scale(v, u32::try_from(*scale).unwrap_or(0))
                .map_err(|e| DataFusionError::Execution(format!("numeric out of range: {e}")))
        }
        other => Err(DataFusionError::Execution(format!(
            "{other} is not sent as numeric"
        ))),
    }
}
