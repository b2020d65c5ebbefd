//! The slt runner's third engine: each statement over the extended protocol (Parse, Bind,
//! Execute) with binary results, as drivers such as tokio-postgres, asyncpg and pgjdbc read
//! them. Each binary value is decoded by its type OID back into an Arrow value and shown with
//! the server's own text encoding, so the three runs compare cell for cell: a binary encoding
//! that loses or changes a value shows up as a diff.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, IntervalMonthDayNano};
use datafusion::common::ScalarValue;
use mediasql::server::encode::text_rows;
use mediasql_wire::vectors::PG_TYPE_KEY;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use tokio_postgres::types::{FromSql, Type};

use crate::slt::{SqlError, rows_output, simple_run};

/// A connection that runs every statement with the extended protocol.
pub struct Extended(pub tokio_postgres::Client);

/// A column value's wire bytes, whatever its type.
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

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
            let mut values = Vec::with_capacity(columns);
            for (i, column) in statement.columns().iter().enumerate() {
                let raw: Option<Raw> = row.try_get(i).map_err(wire_error)?;
                values.push(text_of(column.type_(), raw.map(|r| r.0).as_deref())?);
            }
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

/// The server's text for the binary value `raw` of type `ty` (None for NULL).
fn text_of(ty: &Type, raw: Option<&[u8]>) -> Result<Option<String>, SqlError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let value = decode(ty, raw).ok_or_else(|| {
        SqlError::new(
            "XX000",
            &format!("cannot decode binary {ty} ({} bytes)", raw.len()),
        )
    })?;
    let array: ArrayRef = value
        .to_array()
        .map_err(|e| SqlError::new("XX000", &e.to_string()))?;
    let mut field = Field::new("v", array.data_type().clone(), true);
    if let Some(vector) = [Type::INT2_VECTOR, Type::OID_VECTOR]
        .iter()
        .find(|v| *v == ty)
    {
        let marked = [(PG_TYPE_KEY.to_string(), vector.name().to_string())];
        field = field.with_metadata(marked.into_iter().collect());
    }
    let batch = RecordBatch::try_new(
        Arc::new(datafusion::arrow::datatypes::Schema::new(vec![field])),
        vec![array],
    )
    .map_err(|e| SqlError::new("XX000", &e.to_string()))?;
    let rows = text_rows(&batch).map_err(SqlError::from)?;
    Ok(rows.into_iter().next().and_then(|mut r| r.pop()).flatten())
}

/// Days and microseconds of PostgreSQL's epoch (2000-01-01) after Unix's.
const PG_EPOCH_DAYS: i32 = 10_957;
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn be<const N: usize>(raw: &[u8]) -> Option<[u8; N]> {
    raw.get(..N)?.try_into().ok()
}

/// A binary value as the Arrow scalar it was encoded from.
fn decode(ty: &Type, raw: &[u8]) -> Option<ScalarValue> {
    Some(match *ty {
        Type::BOOL => ScalarValue::Boolean(Some(*raw.first()? != 0)),
        Type::INT2 => ScalarValue::Int16(Some(i16::from_be_bytes(be(raw)?))),
        Type::INT4 => ScalarValue::Int32(Some(i32::from_be_bytes(be(raw)?))),
        Type::INT8 => ScalarValue::Int64(Some(i64::from_be_bytes(be(raw)?))),
        Type::FLOAT4 => ScalarValue::Float32(Some(f32::from_be_bytes(be(raw)?))),
        Type::FLOAT8 => ScalarValue::Float64(Some(f64::from_be_bytes(be(raw)?))),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::JSON | Type::UNKNOWN => {
            ScalarValue::Utf8(Some(String::from_utf8(raw.to_vec()).ok()?))
        }
        Type::BYTEA => ScalarValue::Binary(Some(raw.to_vec())),
        Type::DATE => ScalarValue::Date32(Some(i32::from_be_bytes(be(raw)?) + PG_EPOCH_DAYS)),
        Type::TIMESTAMP => ScalarValue::TimestampMicrosecond(
            Some(i64::from_be_bytes(be(raw)?) + PG_EPOCH_MICROS),
            None,
        ),
        Type::TIMESTAMPTZ => ScalarValue::TimestampMicrosecond(
            Some(i64::from_be_bytes(be(raw)?) + PG_EPOCH_MICROS),
            Some("UTC".into()),
        ),
        Type::NUMERIC => numeric(raw)?,
        Type::TIME => ScalarValue::Time64Microsecond(Some(i64::from_be_bytes(be(raw)?))),
        Type::INTERVAL => ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(
            i32::from_be_bytes(be(raw.get(12..)?)?),
            i32::from_be_bytes(be(raw.get(8..)?)?),
            i64::from_be_bytes(be(raw)?).checked_mul(1000)?,
        ))),
        // Vectors are arrays on the wire, of int2 and of oid (int4 here).
        Type::INT2_VECTOR => array(&Type::INT2, raw)?,
        Type::OID_VECTOR => array(&Type::INT4, raw)?,
        _ => match ty.kind() {
            tokio_postgres::types::Kind::Array(element) => array(element, raw)?,
            _ => return None,
        },
    })
}

/// PostgreSQL's binary numeric: digit count, weight, sign, scale, then base-10000 digits.
fn numeric(raw: &[u8]) -> Option<ScalarValue> {
    let count = i16::from_be_bytes(be(raw)?) as usize;
    let weight = i16::from_be_bytes(be(raw.get(2..)?)?) as i32;
    let sign = u16::from_be_bytes(be(raw.get(4..)?)?);
    let scale = i16::from_be_bytes(be(raw.get(6..)?)?) as i32;
    let mut value: i128 = 0;
    let mut exponent = 0i32; // of the last digit group, in base 10000
    for i in 0..count {
        let digit = i16::from_be_bytes(be(raw.get(8 + 2 * i..)?)?) as i128;
        value = value * 10_000 + digit;
        exponent = weight - i as i32;
    }
    // value × 10000^exponent, shown with `scale` decimals.
    let shift = 4 * exponent + scale;
    let mut unscaled = value;
    if shift >= 0 {
        unscaled *= 10i128.checked_pow(shift as u32)?;
    } else {
        unscaled /= 10i128.checked_pow((-shift) as u32)?;
    }
    if sign == 0x4000 {
        unscaled = -unscaled;
    }
    Some(ScalarValue::Decimal128(Some(unscaled), 38, scale as i8))
}

/// A one-dimensional array: dimensions, flags, element OID, (length, lower bound), elements.
fn array(element: &Type, raw: &[u8]) -> Option<ScalarValue> {
    let dims = i32::from_be_bytes(be(raw)?);
    let element_type = element_data_type(element)?;
    if dims == 0 {
        return Some(ScalarValue::List(ScalarValue::new_list_nullable(
            &[],
            &element_type,
        )));
    }
    let length = i32::from_be_bytes(be(raw.get(12..)?)?) as usize;
    let mut at = 20;
    let mut values = Vec::with_capacity(length);
    for _ in 0..length {
        let size = i32::from_be_bytes(be(raw.get(at..)?)?);
        at += 4;
        if size < 0 {
            values.push(ScalarValue::try_from(&element_type).ok()?);
            continue;
        }
        let bytes = raw.get(at..at + size as usize)?;
        at += size as usize;
        values.push(decode(element, bytes)?);
    }
    Some(ScalarValue::List(ScalarValue::new_list_nullable(
        &values,
        &element_type,
    )))
}

fn element_data_type(element: &Type) -> Option<DataType> {
    Some(match *element {
        Type::BOOL => DataType::Boolean,
        Type::INT2 => DataType::Int16,
        Type::INT4 => DataType::Int32,
        Type::INT8 => DataType::Int64,
        Type::FLOAT4 => DataType::Float32,
        Type::FLOAT8 => DataType::Float64,
        Type::TEXT | Type::VARCHAR | Type::JSON => DataType::Utf8,
        Type::BYTEA => DataType::Binary,
        _ => return None,
    })
}
