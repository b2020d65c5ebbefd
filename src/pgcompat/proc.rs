//! mediasql's own functions as PostgreSQL sees functions: rows in `pg_proc` (so psql's `\df`
//! and drivers' function lists show them), with their argument and result types and the
//! one-line description from their `Documentation`.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Int16Array, Int32Array, RecordBatch, StringArray,
    new_null_array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, SchemaRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{ReturnFieldArgs, ScalarUDF, TypeSignature, Volatility};

use crate::server::encode::pg_type;

/// The first oid given to our functions (far above PostgreSQL's own).
const FIRST_OID: i32 = 90_000;

/// One of our functions, described for the catalog.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    pub oid: i32,
    pub name: String,
    /// `image bytea, model text` (PostgreSQL's pg_get_function_arguments).
    pub arguments: String,
    pub argument_names: Vec<String>,
    /// `17 25` (PostgreSQL's oidvector text of `proargtypes`).
    pub argument_oids: String,
    pub result: String,
    pub result_oid: i32,
    pub description: String,
    pub volatile: bool,
}

/// Our functions by oid, in name order.
pub fn function_infos(functions: &[ScalarUDF]) -> BTreeMap<i32, FunctionInfo> {
    let mut sorted: Vec<&ScalarUDF> = functions.iter().collect();
    sorted.sort_by_key(|f| f.name().to_string());
    sorted
        .into_iter()
        .zip(FIRST_OID..)
        .map(|(udf, oid)| (oid, describe(udf, oid)))
        .collect()
}

/// The oid of the pseudo-type `"any"`.
const ANY: u32 = 2276;

fn describe(udf: &ScalarUDF, oid: i32) -> FunctionInfo {
    let signature = udf.signature();
    let types = first_exact(&signature.type_signature).unwrap_or_default();
    // Named by the signature, else by the documentation (user-defined signatures), else
    // numbered after the types.
    let documented = documentation(udf)
        .and_then(|doc| doc.arguments.as_ref())
        .map(|arguments| arguments.iter().map(|(name, _)| name.clone()).collect());
    let names = signature
        .parameter_names
        .clone()
        .or(documented)
        .unwrap_or_else(|| (1..=types.len()).map(|i| format!("arg{i}")).collect());
    let arguments: Vec<String> = names
        .iter()
        .zip(types.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(name, ty)| match ty {
            Some(ty) => format!("{name} {}", type_name(ty)),
            None => name.clone(),
        })
        .collect();
    // An argument whose type the signature does not fix takes `"any"` (2276), so that
    // `proargtypes` has one type per argument, as clients that list arguments expect.
    let argument_oids: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, _)| types.get(i).map_or(ANY, |t| pg_type(t).oid()).to_string())
        .collect();
    let result = result_type(udf, &types);
    let description = documentation(udf)
        .map(|doc| first_sentence(&doc.description))
        .unwrap_or_default();
    FunctionInfo {
        oid,
        name: udf.name().to_string(),
        arguments: arguments.join(", "),
        argument_names: names,
        argument_oids: argument_oids.join(" "),
        result: result.as_ref().map_or("record".into(), type_name),
        result_oid: result.as_ref().map_or(2249, |t| pg_type(t).oid() as i32),
        description,
        volatile: signature.volatility == Volatility::Volatile,
    }
}

/// `text`, `real[]`: the type's name as `format_type` shows it.
pub(super) fn type_name(data_type: &DataType) -> String {
    let name = pg_type(data_type).name().to_string();
    let (element, array) = match name.strip_prefix('_') {
        Some(element) => (element, "[]"),
        None => (name.as_str(), ""),
    };
    format!("{}{array}", sql_type_name(element))
}

/// The SQL name `format_type` shows for a type of the catalog (`int8`: `bigint`).
pub fn sql_type_name(catalog_name: &str) -> String {
    SQL_TYPE_NAMES
        .iter()
        .find(|(catalog, _)| *catalog == catalog_name)
        .map_or(catalog_name, |(_, sql)| sql)
        .to_string()
}

/// Catalog type names and the SQL names `format_type` shows for them.
pub const SQL_TYPE_NAMES: &[(&str, &str)] = &[
    ("int2", "smallint"),
    ("int4", "integer"),
    ("int8", "bigint"),
    ("float4", "real"),
    ("float8", "double precision"),
    ("bool", "boolean"),
    ("varchar", "character varying"),
    ("bpchar", "character"),
    ("timestamp", "timestamp without time zone"),
    ("timestamptz", "timestamp with time zone"),
    ("time", "time without time zone"),
];

fn documentation(udf: &ScalarUDF) -> Option<&datafusion::logical_expr::Documentation> {
    if udf.name() == "download" {
        return Some(mediasql_udfs::io::download::documentation());
    }
    udf.documentation()
}

/// The argument types of the function's first fully typed form.
fn first_exact(signature: &TypeSignature) -> Option<Vec<DataType>> {
    match signature {
        TypeSignature::Exact(types) => Some(types.clone()),
        TypeSignature::Uniform(n, types) => types.first().map(|t| vec![t.clone(); *n]),
        TypeSignature::Nullary => Some(Vec::new()),
        TypeSignature::OneOf(variants) => variants.iter().find_map(first_exact),
        _ => None,
    }
}

fn result_type(udf: &ScalarUDF, types: &[DataType]) -> Option<DataType> {
    let fields: Vec<FieldRef> = types
        .iter()
        .enumerate()
        .map(|(i, t)| Arc::new(Field::new(format!("a{i}"), t.clone(), true)))
        .collect();
    let scalars = vec![None; fields.len()];
    let args = ReturnFieldArgs {
        arg_fields: &fields,
        scalar_arguments: &scalars,
    };
    let field = udf.return_field_from_args(args).ok()?;
    Some(field.data_type().clone())
}

fn first_sentence(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find(". ") {
        Some(end) => text[..=end].to_string(),
        None => text,
    }
}

/// `n` zero values ("", 0, false) of `data_type`, for NOT NULL columns we have nothing for.
fn new_empty_values(data_type: &DataType, n: usize) -> Result<ArrayRef> {
    let zero = ScalarValue::new_zero(data_type).or_else(|_| ScalarValue::try_from(data_type));
    let zero = match (zero, data_type) {
        (_, DataType::Utf8) => ScalarValue::Utf8(Some(String::new())),
        (_, DataType::Boolean) => ScalarValue::Boolean(Some(false)),
        (value, _) => value?,
    };
    zero.to_array_of_size(n)
}

/// `pg_proc` rows for our functions, in `schema`'s columns (unknown ones NULL), in schema
/// `namespace` (`public`'s oid: datafusion-pg-catalog numbers schemas as it meets them).
pub fn our_rows(
    schema: &SchemaRef,
    functions: &BTreeMap<i32, FunctionInfo>,
    namespace: i32,
) -> Result<RecordBatch> {
    let infos: Vec<&FunctionInfo> = functions.values().collect();
    let n = infos.len();
    let ints = |f: &dyn Fn(&FunctionInfo) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from_iter_values(infos.iter().map(|i| f(i))))
    };
    let texts = |f: &dyn Fn(&FunctionInfo) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(infos.iter().map(|i| f(i))))
    };
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let column: ArrayRef = match field.name().as_str() {
                "oid" => ints(&|i| i.oid),
                "proname" | "prosrc" => texts(&|i| i.name.clone()),
                "pronamespace" => ints(&|_| namespace),
                "proowner" => ints(&|_| 10),
                "prolang" => ints(&|_| 12),
                "provariadic" => ints(&|_| 0),
                "prorettype" => ints(&|i| i.result_oid),
                "procost" => Arc::new(Float32Array::from(vec![1.0; n])),
                "prorows" => Arc::new(Float32Array::from(vec![0.0; n])),
                "prokind" => texts(&|_| "f".into()),
                "provolatile" => texts(&|i| if i.volatile { "v" } else { "i" }.into()),
                "proparallel" => texts(&|_| "s".into()),
                "prosupport" => texts(&|_| "-".into()),
                "prosecdef" | "proleakproof" | "proisstrict" | "proretset" => {
                    Arc::new(BooleanArray::from(vec![false; n]))
                }
                "pronargs" => Arc::new(Int16Array::from_iter_values(
                    infos.iter().map(|i| i.argument_names.len() as i16),
                )),
                "pronargdefaults" => Arc::new(Int16Array::from(vec![0; n])),
                "proargnames" => texts(&|i| format!("{{{}}}", i.argument_names.join(","))),
                "proargtypes" => texts(&|i| i.argument_oids.clone()),
                _ if !field.is_nullable() => new_empty_values(field.data_type(), n)?,
                _ => new_null_array(field.data_type(), n),
            };
            // The builtin table's column types decide (they come from its export); oid
            // vectors are lists.
            match field.data_type() {
                DataType::List(element) if column.data_type() == &DataType::Utf8 => {
                    super::arrays::parse_arrays(&column, element.data_type())
                }
                other => datafusion::arrow::compute::cast(&column, other).map_err(Into::into),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
