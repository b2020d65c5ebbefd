//! `format_types(oids)`: each type oid of an array named as `format_type(oid, NULL)` names
//! it. `x::regtype[]::text[]` (pgcli's function argument lists) becomes this call
//! ([`super::regtype_text`]): a `regtype` array shows type names in PostgreSQL, where
//! datafusion-pg-catalog's integer `regtype` gave `{23,25}`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_pg_catalog::pg_catalog::format_type::create_format_type_udf;

/// The function.
pub fn format_types() -> ScalarUDF {
    ScalarUDF::new_from_impl(FormatTypes {
        signature: Signature::any(1, Volatility::Stable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FormatTypes {
    signature: Signature,
}

fn names() -> DataType {
    DataType::new_list(DataType::Utf8, true)
}

impl ScalarUDFImpl for FormatTypes {
    fn name(&self) -> &str {
        "format_types"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(names())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [oids] = args.args.as_slice() else {
            return exec_err!("format_types takes one array of type oids");
        };
        let oids = oids.to_array(args.number_rows)?;
        let oids = cast(&oids, &DataType::new_list(DataType::Int32, true))?;
        let Some(lists) = oids.as_list_opt::<i32>() else {
            return exec_err!(
                "format_types takes one array of type oids, not {}",
                oids.data_type()
            );
        };
        let values = Arc::clone(lists.values());
        let named = format_type(values)?;
        let field = Arc::new(Field::new_list_field(DataType::Utf8, true));
        let named = ListArray::try_new(
            field,
            lists.offsets().clone(),
            named,
            lists.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(named)))
    }
}

/// datafusion-pg-catalog's `format_type(oid, NULL)` of each of `oids`.
fn format_type(oids: ArrayRef) -> Result<ArrayRef> {
    let rows = oids.len();
    let args = ScalarFunctionArgs {
        args: vec![
            ColumnarValue::Array(oids),
            ColumnarValue::Scalar(ScalarValue::Int32(None)),
        ],
        arg_fields: vec![
            Arc::new(Field::new("oid", DataType::Int32, true)),
            Arc::new(Field::new("typmod", DataType::Int32, true)),
        ],
        number_rows: rows,
        return_field: Arc::new(Field::new("format_type", DataType::Utf8, true)),
        config_options: Arc::new(ConfigOptions::default()),
    };
    create_format_type_udf()
        .invoke_with_args(args)?
        .to_array(rows)
}
