//! `octet_length(value)`: the number of bytes of a string or binary value, as in PostgreSQL
//! (`octet_length(bytea)`). Replaces DataFusion's string-only version, so that
//! `octet_length(content)` works on media bytes without a cast.

use std::sync::LazyLock;

use datafusion::arrow::compute::kernels::length::length;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::io::download::DOC_SECTION_MEDIA;

const NAME: &str = "octet_length";

/// The `octet_length` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct OctetLength {
    signature: Signature,
}

impl Default for OctetLength {
    fn default() -> Self {
        Self {
            signature: Signature::uniform(
                1,
                vec![
                    DataType::Utf8,
                    DataType::LargeUtf8,
                    DataType::Utf8View,
                    DataType::Binary,
                    DataType::LargeBinary,
                    DataType::BinaryView,
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for OctetLength {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [DataType::LargeUtf8 | DataType::LargeBinary] => Ok(DataType::Int64),
            [_] => Ok(DataType::Int32),
            _ => plan_err!("{NAME} expects one argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return plan_err!("{NAME} expects one argument");
        };
        match value {
            ColumnarValue::Array(array) => Ok(ColumnarValue::Array(length(array)?)),
            ColumnarValue::Scalar(scalar) => {
                let array = scalar.to_array()?;
                let lengths = length(&array)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &lengths, 0,
                )?))
            }
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "The number of bytes in a string or binary value.",
        "octet_length(value)",
    )
    .with_sql_example("SELECT path, octet_length(content) FROM read_media('photos/')")
    .with_argument("value", "A string or binary expression.")
    .build()
});

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use datafusion::arrow::array::{Array, BinaryArray, Int32Array};
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::config::ConfigOptions;

    #[test]
    fn counts_bytes_not_characters() {
        let bytes = BinaryArray::from(vec![Some(&[0xff_u8, 0xfe, 0x00][..]), None]);
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(Arc::new(bytes))],
            arg_fields: vec![Arc::new(Field::new("c", DataType::Binary, true))],
            number_rows: 2,
            return_field: Arc::new(Field::new("r", DataType::Int32, true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = OctetLength::default().invoke_with_args(args).unwrap()
        else {
            panic!("expected an array")
        };
        let out = out.as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(out.value(0), 3);
        assert!(out.is_null(1));
        let utf8 = ScalarValue::Utf8(Some("é".into()));
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Scalar(utf8)],
            arg_fields: vec![Arc::new(Field::new("c", DataType::Utf8, true))],
            number_rows: 1,
            return_field: Arc::new(Field::new("r", DataType::Int32, true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Scalar(n) = OctetLength::default().invoke_with_args(args).unwrap()
        else {
            panic!("expected a scalar")
        };
        assert_eq!(n, ScalarValue::Int32(Some(2)));
    }
}
