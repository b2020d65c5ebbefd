//! `length(x)` as PostgreSQL has it: the characters of a text, the bytes of a `bytea`
//! (`SELECT length(content) FROM images`). DataFusion's `length` is `character_length`,
//! which read bytes as text and failed on the first non-UTF-8 byte; text still goes to it.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, Int32Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::functions::unicode::character_length;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// The `length` function.
pub fn length() -> ScalarUDF {
    ScalarUDF::new_from_impl(Length {
        signature: Signature::user_defined(Volatility::Immutable),
        characters: character_length(),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Length {
    signature: Signature,
    characters: Arc<ScalarUDF>,
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    super::pg_function_doc(
        "The number of characters of a text, or of bytes of a bytea.",
        "length(value)",
        ("value", "A text or a bytea (a media file's content)."),
        "SELECT path, length(content) FROM images;",
    )
});

fn is_bytes(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
    )
}

impl ScalarUDFImpl for Length {
    fn name(&self) -> &str {
        "length"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match args {
            [t] if is_bytes(t) => Ok(vec![DataType::Binary]),
            [DataType::LargeUtf8] => Ok(vec![DataType::LargeUtf8]),
            [DataType::Utf8View] => Ok(vec![DataType::Utf8View]),
            [_] => Ok(vec![DataType::Utf8]),
            _ => plan_err!("length(value) takes one argument, got {}", args.len()),
        }
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [t] if is_bytes(t) => Ok(DataType::Int32),
            _ => self.characters.return_type(args),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !args.args.first().is_some_and(|a| is_bytes(&a.data_type())) {
            return self.characters.invoke_with_args(args);
        }
        let bytes = args.args[0].to_array(args.number_rows)?;
        let Some(bytes) = bytes.as_binary_opt::<i32>() else {
            return exec_err!("length: expected bytea, got {}", bytes.data_type());
        };
        let lengths: Int32Array = (0..bytes.len())
            .map(|i| (!bytes.is_null(i)).then(|| bytes.value(i).len() as i32))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(lengths)))
    }
}
