//! `json_build_object(key, value, ...)`: a JSON object of alternating keys and values, as
//! text. SQLAlchemy's column reflection builds a column's identity options with it.
//! Numbers and booleans stay JSON numbers and booleans, NULL is `null`, anything else is a
//! JSON string of its text.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The function.
pub fn json_build_object() -> ScalarUDF {
    ScalarUDF::new_from_impl(JsonBuildObject {
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonBuildObject {
    signature: Signature,
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return exec_err!("json_build_object: argument list must have even number of elements");
        }
        let rows = args.number_rows;
        let columns: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<_>>()?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            let mut object = serde_json::Map::new();
            for pair in columns.chunks(2) {
                let [key, value] = pair else { continue };
                if key.is_null(row) {
                    return exec_err!("json_build_object: null value not allowed for object key");
                }
                let key = ScalarValue::try_from_array(key, row)?.to_string();
                object.insert(key, json_value(ScalarValue::try_from_array(value, row)?));
            }
            out.append_value(serde_json::Value::Object(object).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn json_value(value: ScalarValue) -> serde_json::Value {
    use serde_json::Value;
    if value.is_null() {
        return Value::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => Value::Bool(b),
        ScalarValue::Float32(Some(f)) => {
            serde_json::Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number)
        }
        ScalarValue::Float64(Some(f)) => {
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        v if v.data_type().is_integer() => v.to_string().parse().map_or(Value::Null, Value::Number),
        v => Value::String(v.to_string()),
    }
}
