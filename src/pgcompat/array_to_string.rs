//! `array_to_string(array, delimiter [, null_string])` that also takes an array written as
//! text (`{a,b}`): catalog columns that are arrays in PostgreSQL (`pg_namespace.nspacl`,
//! `pg_attribute.attacl`...) are text in datafusion-pg-catalog, and psql joins them with
//! this function in `\dn+`, `\dp`, `\z` and `\drds` (DataFusion's refused text). Text is
//! parsed as PostgreSQL array text; everything else goes to DataFusion's `array_to_string`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::functions_nested::string::array_to_string_udf;
use datafusion::logical_expr::type_coercion::functions::fields_with_udf;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::arrays::parse_arrays;

/// The `array_to_string` function.
pub fn array_to_string() -> ScalarUDF {
    ScalarUDF::new_from_impl(ArrayToString {
        signature: Signature::user_defined(Volatility::Immutable),
        lists: array_to_string_udf(),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayToString {
    signature: Signature,
    lists: Arc<ScalarUDF>,
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// The list type array text becomes.
fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

static DOCUMENTATION: LazyLock<Option<Documentation>> =
    LazyLock::new(|| array_to_string_udf().documentation().cloned());

impl ScalarUDFImpl for ArrayToString {
    fn name(&self) -> &str {
        "array_to_string"
    }

    fn aliases(&self) -> &[String] {
        self.lists.aliases()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn documentation(&self) -> Option<&Documentation> {
        DOCUMENTATION.as_ref()
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        let Some(first) = args.first() else {
            return plan_err!("array_to_string(array, delimiter [, null_string]) needs an array");
        };
        // Text stands for the list it writes, which DataFusion's function then takes; the
        // text itself stays text.
        let text = is_text(first);
        let listed: Vec<FieldRef> = args
            .iter()
            .enumerate()
            .map(|(i, t)| match i == 0 && text {
                true => Arc::new(Field::new("a", text_list(), true)),
                false => Arc::new(Field::new(format!("a{i}"), t.clone(), true)),
            })
            .collect();
        let mut coerced: Vec<DataType> = fields_with_udf(&listed, self.lists.as_ref())?
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        if let Some(first) = coerced.first_mut().filter(|_| text) {
            *first = DataType::Utf8;
        }
        Ok(coerced)
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args
            .arg_fields
            .first()
            .is_some_and(|f| is_text(f.data_type()))
        {
            let text = args.args[0].to_array(args.number_rows)?;
            let text = datafusion::arrow::compute::cast(&text, &DataType::Utf8)?;
            args.args[0] = ColumnarValue::Array(parse_arrays(&text, &DataType::Utf8)?);
            args.arg_fields[0] = Arc::new(Field::new("a", text_list(), true));
        }
        self.lists.invoke_with_args(args)
    }
}
