//! Parameters of the extended protocol: the Arrow type of each type a client declares, and
//! decoding each bound value by that type (arrays included).

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::common::{DataFusionError, ScalarValue};
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use pgwire::error::PgWireResult;
use pgwire::types::FromSqlText;
use postgres_types::FromSqlOwned;
use rust_decimal::Decimal;

use super::sqlstate::pg_error;
use crate::session::Prepared;

/// The Arrow type a parameter declared as `ty` is planned with; None for types left to the
/// statement (unknown, numeric, json...).
pub fn declared_type(ty: &Type) -> Option<DataType> {
    let scalar = |ty: &Type| -> Option<DataType> {
        Some(match *ty {
            Type::BOOL => DataType::Boolean,
            Type::INT2 => DataType::Int16,
            Type::INT4 => DataType::Int32,
            Type::INT8 | Type::OID => DataType::Int64,
            Type::FLOAT4 => DataType::Float32,
            Type::FLOAT8 => DataType::Float64,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => DataType::Utf8,
            Type::BYTEA => DataType::Binary,
            Type::DATE => DataType::Date32,
            Type::TIMESTAMP => DataType::Timestamp(TimeUnit::Microsecond, None),
            Type::TIMESTAMPTZ => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            _ => return None,
        })
    };
    let element = match *ty {
        Type::BOOL_ARRAY => Type::BOOL,
        Type::INT2_ARRAY => Type::INT2,
        Type::INT4_ARRAY => Type::INT4,
        Type::INT8_ARRAY | Type::OID_ARRAY => Type::INT8,
        Type::FLOAT4_ARRAY => Type::FLOAT4,
        Type::FLOAT8_ARRAY => Type::FLOAT8,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => Type::TEXT,
        _ => return scalar(ty),
    };
    let element = scalar(&element)?;
    Some(DataType::List(Arc::new(Field::new_list_field(
        element, true,
    ))))
}

/// `ty` described as PostgreSQL describes a parameter cast to `oid`/`oid[]`.
pub fn as_oid(ty: Type) -> Type {
    match ty {
        Type::INT2 | Type::INT4 | Type::INT8 => Type::OID,
        Type::INT2_ARRAY | Type::INT4_ARRAY | Type::INT8_ARRAY => Type::OID_ARRAY,
        other => other,
    }
}

/// Decodes a portal's parameters: by the type the client declared, else the type the plan
/// inferred; then cast to the inferred type.
pub fn bind_parameters(portal: &Portal<Arc<Prepared>>) -> PgWireResult<Vec<ScalarValue>> {
    let prepared = &portal.statement.statement;
    (0..portal.parameter_len())
        .map(|i| {
            let inferred = prepared.param_types.get(i).cloned().flatten();
            let declared = portal.statement.parameter_types.get(i).cloned().flatten();
            let described = || {
                let ty = super::encode::pg_type(inferred.as_ref()?);
                Some(if prepared.oid_params.contains(&(i + 1)) {
                    as_oid(ty)
                } else {
                    ty
                })
            };
            let wire_type = declared
                .filter(|t| *t != Type::UNKNOWN)
                .or_else(described)
                .unwrap_or(Type::UNKNOWN);
            let value = decode_parameter(portal, i, &wire_type)?;
            match inferred {
                Some(dt) if value.data_type() != dt => value.cast_to(&dt).map_err(|e| {
                    pg_error(&DataFusionError::Plan(format!(
                        "parameter ${}: cannot convert to {dt}: {e}",
                        i + 1
                    )))
                }),
                _ => Ok(value),
            }
        })
        .collect()
}

fn decode_parameter(
    portal: &Portal<Arc<Prepared>>,
    i: usize,
    ty: &Type,
) -> PgWireResult<ScalarValue> {
    Ok(match *ty {
        Type::BOOL => ScalarValue::Boolean(portal.parameter::<bool>(i, ty)?),
        Type::INT2 => ScalarValue::Int16(portal.parameter::<i16>(i, ty)?),
        Type::INT4 => ScalarValue::Int32(portal.parameter::<i32>(i, ty)?),
        Type::INT8 => ScalarValue::Int64(portal.parameter::<i64>(i, ty)?),
        Type::OID => ScalarValue::Int64(portal.parameter::<u32>(i, ty)?.map(i64::from)),
        Type::FLOAT4 => ScalarValue::Float32(portal.parameter::<f32>(i, ty)?),
        Type::FLOAT8 => ScalarValue::Float64(portal.parameter::<f64>(i, ty)?),
        Type::NUMERIC => match portal.parameter::<Decimal>(i, ty)? {
            Some(d) => ScalarValue::Decimal128(Some(d.mantissa()), 38, d.scale() as i8),
            None => ScalarValue::Decimal128(None, 38, 0),
        },
        Type::BYTEA => ScalarValue::Binary(portal.parameter::<Vec<u8>>(i, ty)?),
        Type::DATE => ScalarValue::Date32(
            portal
                .parameter::<NaiveDate>(i, ty)?
                .map(|d| (d - DateTime::UNIX_EPOCH.date_naive()).num_days() as i32),
        ),
        Type::TIMESTAMP => ScalarValue::TimestampMicrosecond(
            portal
                .parameter::<NaiveDateTime>(i, ty)?
                .map(|t| t.and_utc().timestamp_micros()),
            None,
        ),
        Type::TIMESTAMPTZ => ScalarValue::TimestampMicrosecond(
            portal
                .parameter::<DateTime<FixedOffset>>(i, ty)?
                .map(|t| t.timestamp_micros()),
            Some("UTC".into()),
        ),
        Type::BOOL_ARRAY => array(portal, i, ty, DataType::Boolean, ScalarValue::Boolean)?,
        Type::INT2_ARRAY => array(portal, i, ty, DataType::Int16, ScalarValue::Int16)?,
        Type::INT4_ARRAY => array(portal, i, ty, DataType::Int32, ScalarValue::Int32)?,
        Type::INT8_ARRAY => array(portal, i, ty, DataType::Int64, ScalarValue::Int64)?,
        Type::OID_ARRAY => array(portal, i, ty, DataType::Int64, |oid: Option<u32>| {
            ScalarValue::Int64(oid.map(i64::from))
        })?,
        Type::FLOAT4_ARRAY => array(portal, i, ty, DataType::Float32, ScalarValue::Float32)?,
        Type::FLOAT8_ARRAY => array(portal, i, ty, DataType::Float64, ScalarValue::Float64)?,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => {
            array(portal, i, ty, DataType::Utf8, ScalarValue::Utf8)?
        }
        _ => ScalarValue::Utf8(portal.parameter::<String>(i, &Type::TEXT)?),
    })
}

/// Parameter `i`, an array of `T` (NULL elements kept), as a list of `element`.
fn array<'a, T>(
    portal: &'a Portal<Arc<Prepared>>,
    i: usize,
    ty: &Type,
    element: DataType,
    scalar: fn(Option<T>) -> ScalarValue,
) -> PgWireResult<ScalarValue>
where
    Vec<Option<T>>: FromSqlOwned + FromSqlText<'a>,
{
    Ok(match portal.parameter::<Vec<Option<T>>>(i, ty)? {
        Some(values) => {
            let values: Vec<ScalarValue> = values.into_iter().map(scalar).collect();
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &element))
        }
        None => ScalarValue::try_from(DataType::List(Arc::new(Field::new_list_field(
            element, true,
        ))))
        .unwrap_or(ScalarValue::Null),
    })
}
