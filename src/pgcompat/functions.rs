//! Catalog functions PostgreSQL clients call that DataFusion and datafusion-pg-catalog lack:
//! `version()`, `to_regtype`, `pg_is_in_recovery`, `pg_get_serial_sequence`, `pg_get_indexdef`,
//! `pg_function_is_visible`, `pg_type_is_visible`, `pg_get_function_result`,
//! `pg_get_function_arguments`, `pg_get_function_identity_arguments`,
//! `pg_get_function_sqlbody` and `obj_description`
//! (answered for our functions; NULL for other oids, which have no entry here); and those
//! of datafusion-pg-catalog whose answers were not PostgreSQL's ([`corrected`], and
//! `pg_get_expr`/`pg_get_partkeydef` among [`always_null`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, ListBuilder, StringArray, StringBuilder,
    new_null_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility, create_udf,
};
use datafusion::scalar::ScalarValue;

use super::proc::{FunctionInfo, SQL_TYPE_NAMES};
use crate::version::SERVER_VERSION;

/// `version()`, worded as PostgreSQL's so that drivers and dialects (SQLAlchemy, Superset)
/// can parse the release.
pub fn version() -> ScalarUDF {
    let text = format!(
        "PostgreSQL {SERVER_VERSION} (mediasql {}) on {}-unknown-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
    );
    create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))),
    )
}

/// `session_user()` (also what `current_user` and `user` become) for a session of `user`:
/// datafusion-pg-catalog's answers `postgres` whoever logged in, so pgAdmin's `rolname =
/// current_user` found no role.
pub fn session_user(user: &str) -> ScalarUDF {
    let user = ScalarValue::Utf8(Some(user.to_string()));
    create_udf(
        "session_user",
        vec![],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(user.clone()))),
    )
}

/// `pg_is_in_recovery()` and `pg_is_wal_replay_paused()`: false, a mediasql server is never
/// a standby (pgAdmin asks on connect).
pub fn recovery() -> Vec<ScalarUDF> {
    ["pg_is_in_recovery", "pg_is_wal_replay_paused"]
        .into_iter()
        .map(|name| {
            create_udf(
                name,
                vec![],
                DataType::Boolean,
                Volatility::Stable,
                Arc::new(|_| Ok(ColumnarValue::Scalar(false.into()))),
            )
        })
        .collect()
}

/// `pg_function_is_visible(oid)`, `pg_type_is_visible(oid)` and the like for the other
/// catalog objects psql lists (`\do`, `\dc`, `\dF`...): every object is on the search path.
pub fn visibility() -> Vec<ScalarUDF> {
    [
        "pg_function_is_visible",
        "pg_type_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_opfamily_is_visible",
        "pg_collation_is_visible",
        "pg_conversion_is_visible",
        "pg_statistics_obj_is_visible",
        "pg_ts_config_is_visible",
        "pg_ts_dict_is_visible",
        "pg_ts_parser_is_visible",
        "pg_ts_template_is_visible",
    ]
    .into_iter()
    .map(|name| {
        create_udf(
            name,
            vec![DataType::Int64],
            DataType::Boolean,
            Volatility::Stable,
            Arc::new(|args| {
                let rows = match &args[0] {
                    ColumnarValue::Array(a) => a.len(),
                    ColumnarValue::Scalar(_) => return Ok(ColumnarValue::Scalar(true.into())),
                };
                Ok(ColumnarValue::Array(Arc::new(BooleanArray::from(vec![
                    true;
                    rows
                ]))))
            }),
        )
    })
    .collect()
}

/// `to_regtype(name)`: the oid of a built-in type by name (`int4`, `integer`, `text[]`),
/// NULL for types that do not exist here (psycopg asks for `hstore` on connect).
pub fn to_regtype() -> ScalarUDF {
    create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(|args| {
            let names = args[0].to_array(1)?;
            let names = datafusion::common::cast::as_string_array(&names)?;
            let oids: Int32Array = names.iter().map(|n| n.and_then(type_oid)).collect();
            let oids: ArrayRef = Arc::new(oids);
            Ok(match &args[0] {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(ScalarValue::try_from_array(&oids, 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(oids),
            })
        }),
    )
}

/// The oid of the built-in type `name` (its catalog name or SQL spelling).
fn type_oid(name: &str) -> Option<i32> {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    let (element, array) = match name.strip_suffix("[]") {
        Some(element) => (element, true),
        None => (name, false),
    };
    const MORE_SPELLINGS: &[(&str, &str)] = &[("int4", "int")];
    let catalog_name = SQL_TYPE_NAMES
        .iter()
        .chain(MORE_SPELLINGS)
        .find(|(_, sql)| *sql == element)
        .map_or(element, |(catalog, _)| catalog);
    let wanted = if array {
        format!("_{catalog_name}")
    } else {
        catalog_name.to_string()
    };
    BUILTIN_TYPES.get(&wanted).copied()
}

/// The oids of the built-in types, by catalog name.
static BUILTIN_TYPES: LazyLock<HashMap<String, i32>> = LazyLock::new(|| {
    (1..10_000u32)
        .filter_map(pgwire::api::Type::from_oid)
        .map(|t| (t.name().to_string(), t.oid() as i32))
        .collect()
});

/// Catalog functions whose answer is always NULL here: `pg_get_serial_sequence(table,
/// column)` (no column has a sequence; SQLAlchemy asks for each column it reflects),
/// `pg_get_indexdef(index [, column, pretty])` (no table has an index),
/// `pg_get_function_sqlbody(oid)` (no function has an SQL body, as for PostgreSQL's C ones),
/// `pg_get_expr(node tree, relation [, pretty])` (no column has a default, no table a
/// partition bound or index predicate: datafusion-pg-catalog's answered '' where PostgreSQL
/// gives NULL), `pg_get_partkeydef(oid)` (no table is partitioned; likewise ''),
/// `pg_tablespace_location(oid)` (no tablespace has a directory), `shobj_description(oid,
/// catalog)` (no shared object has a comment), and the storage sizes of
/// relations and databases (`pg_table_size(oid)`, `pg_database_size(name)`...: a media table
/// has no storage of its own; psql's `\dt+` and `\l+` show them), unknown.
pub fn always_null() -> Vec<ScalarUDF> {
    let text2 = TypeSignature::Exact(vec![DataType::Utf8, DataType::Utf8]);
    let oid_text = TypeSignature::Exact(vec![DataType::Int64, DataType::Utf8]);
    let index = TypeSignature::OneOf(vec![
        TypeSignature::Exact(vec![DataType::Int64]),
        TypeSignature::Exact(vec![DataType::Int64, DataType::Int64, DataType::Boolean]),
    ]);
    let oid = || TypeSignature::Exact(vec![DataType::Int64]);
    // The node tree is text here; the relation any oid (DBeaver passes 0 for functions).
    let expression = TypeSignature::OneOf(vec![
        TypeSignature::Exact(vec![DataType::Utf8, DataType::Int64]),
        TypeSignature::Exact(vec![DataType::Utf8, DataType::Int64, DataType::Boolean]),
    ]);
    let relation = || {
        TypeSignature::OneOf(vec![
            TypeSignature::Exact(vec![DataType::Int64]),
            TypeSignature::Exact(vec![DataType::Utf8]),
            TypeSignature::Exact(vec![DataType::Int64, DataType::Utf8]),
        ])
    };
    let texts = [
        ("pg_get_serial_sequence", text2),
        ("pg_get_indexdef", index),
        ("pg_get_function_sqlbody", oid()),
        ("pg_get_expr", expression),
        ("pg_get_partkeydef", oid()),
        ("pg_tablespace_location", oid()),
        ("shobj_description", oid_text),
    ]
    .map(|(name, signature)| (name, signature, DataType::Utf8));
    let sizes = [
        "pg_table_size",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_indexes_size",
        "pg_database_size",
    ]
    .map(|name| (name, relation(), DataType::Int64));
    texts
        .into_iter()
        .chain(sizes)
        .map(|(name, signature, returns)| {
            ScalarUDF::new_from_impl(NullFunction {
                name,
                signature: Signature::new(signature, Volatility::Stable),
                returns,
            })
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct NullFunction {
    name: &'static str,
    signature: Signature,
    returns: DataType,
}

impl ScalarUDFImpl for NullFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Array(new_null_array(
            &self.returns,
            args.number_rows,
        )))
    }
}

/// datafusion-pg-catalog's functions whose answers are not PostgreSQL's, answered as
/// PostgreSQL does: `pg_encoding_to_char(encoding)` (the crate's gave `UTF-8` for 6, which
/// PostgreSQL names `UTF8`) and `current_schemas(implicit)` (the crate's listed
/// `information_schema` on the path). Registered over the crate's.
pub fn corrected() -> Vec<ScalarUDF> {
    vec![pg_encoding_to_char(), current_schemas()]
}

/// PostgreSQL's encoding names, by number (`pg_enc` in its `pg_wchar.h`).
const ENCODINGS: [&str; 42] = [
    "SQL_ASCII",
    "EUC_JP",
    "EUC_CN",
    "EUC_KR",
    "EUC_TW",
    "EUC_JIS_2004",
    "UTF8",
    "MULE_INTERNAL",
    "LATIN1",
    "LATIN2",
    "LATIN3",
    "LATIN4",
    "LATIN5",
    "LATIN6",
    "LATIN7",
    "LATIN8",
    "LATIN9",
    "LATIN10",
    "WIN1256",
    "WIN1258",
    "WIN866",
    "WIN874",
    "KOI8R",
    "WIN1251",
    "WIN1252",
    "ISO_8859_5",
    "ISO_8859_6",
    "ISO_8859_7",
    "ISO_8859_8",
    "WIN1250",
    "WIN1253",
    "WIN1254",
    "WIN1255",
    "WIN1257",
    "KOI8U",
    "SJIS",
    "BIG5",
    "GBK",
    "UHC",
    "GB18030",
    "JOHAB",
    "SHIFT_JIS_2004",
];

/// The name of encoding number `encoding`; '' for a number that names none, as in
/// PostgreSQL.
fn encoding_name(encoding: i64) -> &'static str {
    usize::try_from(encoding)
        .ok()
        .and_then(|i| ENCODINGS.get(i))
        .copied()
        .unwrap_or("")
}

/// `pg_encoding_to_char(int)`: the encoding's name (pgAdmin reads the server's encoding
/// with it); NULL for NULL.
fn pg_encoding_to_char() -> ScalarUDF {
    create_udf(
        "pg_encoding_to_char",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(|args| {
            let encodings = args[0].to_array(1)?;
            let encodings = datafusion::common::cast::as_int64_array(&encodings)?;
            let names: StringArray = encodings.iter().map(|e| e.map(encoding_name)).collect();
            let names: ArrayRef = Arc::new(names);
            Ok(match &args[0] {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(ScalarValue::try_from_array(&names, 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(names),
            })
        }),
    )
}

/// The schemas on the search path, as PostgreSQL's default `"$user", public` gives them
/// (there is no schema named after a user): `current_schemas(false)` is `{public}`;
/// `current_schemas(true)` adds the implicit `pg_catalog`, first.
fn search_path(implicit: bool) -> &'static [&'static str] {
    if implicit {
        &["pg_catalog", "public"]
    } else {
        &["public"]
    }
}

/// `current_schemas(implicit)`: the search path's schemas (pgcli and Grafana read it).
fn current_schemas() -> ScalarUDF {
    let item = Arc::new(datafusion::arrow::datatypes::Field::new_list_field(
        DataType::Utf8,
        true,
    ));
    create_udf(
        "current_schemas",
        vec![DataType::Boolean],
        DataType::List(Arc::clone(&item)),
        Volatility::Stable,
        Arc::new(move |args| {
            let flags = args[0].to_array(1)?;
            let flags = datafusion::common::cast::as_boolean_array(&flags)?;
            let mut lists = ListBuilder::new(StringBuilder::new()).with_field(Arc::clone(&item));
            for flag in flags.iter() {
                match flag {
                    Some(implicit) => {
                        for schema in search_path(implicit) {
                            lists.values().append_value(schema);
                        }
                        lists.append(true);
                    }
                    None => lists.append(false),
                }
            }
            let lists: ArrayRef = Arc::new(lists.finish());
            Ok(match &args[0] {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(ScalarValue::try_from_array(&lists, 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(lists),
            })
        }),
    )
}

/// Which text of a [`FunctionInfo`] a lookup answers.
type Field = fn(&FunctionInfo) -> String;

/// `name(oid [, text])` → text looked up among our functions by oid.
#[derive(Debug)]
struct OidLookup {
    name: &'static str,
    field: Field,
    functions: Arc<BTreeMap<i32, FunctionInfo>>,
    signature: Signature,
}

impl PartialEq for OidLookup {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for OidLookup {}
impl std::hash::Hash for OidLookup {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for OidLookup {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let oids = args.args[0].to_array(args.number_rows)?;
        let oids = cast(&oids, &DataType::Int64)?;
        let oids = datafusion::common::cast::as_int64_array(&oids)?;
        let texts: StringArray = oids
            .iter()
            .map(|oid| {
                let oid = i32::try_from(oid?).ok()?;
                self.functions.get(&oid).map(self.field)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(texts) as ArrayRef))
    }
}

/// The lookups over `functions`.
pub fn lookups(functions: &Arc<BTreeMap<i32, FunctionInfo>>) -> Vec<ScalarUDF> {
    let one = TypeSignature::Exact(vec![DataType::Int64]);
    let two = TypeSignature::Exact(vec![DataType::Int64, DataType::Utf8]);
    let lookup = |name, field: Field, signature: &TypeSignature| {
        ScalarUDF::new_from_impl(OidLookup {
            name,
            field,
            functions: Arc::clone(functions),
            signature: Signature::new(signature.clone(), Volatility::Stable),
        })
    };
    let either = TypeSignature::OneOf(vec![one.clone(), two]);
    vec![
        lookup("pg_get_function_result", |f| f.result.clone(), &one),
        lookup("pg_get_function_arguments", |f| f.arguments.clone(), &one),
        lookup(
            "pg_get_function_identity_arguments",
            |f| f.arguments.clone(),
            &one,
        ),
        lookup("obj_description", |f| f.description.clone(), &either),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_oids_by_catalog_and_sql_names() {
        assert_eq!(type_oid("int4"), Some(23));
        assert_eq!(type_oid("integer"), Some(23));
        assert_eq!(type_oid("pg_catalog.double precision"), Some(701));
        assert_eq!(type_oid("text[]"), Some(1009));
        assert_eq!(type_oid("timestamp with time zone"), Some(1184));
        assert_eq!(type_oid("hstore"), None);
    }

    #[test]
    fn encodings_and_the_search_path_are_postgresql_s() {
        assert_eq!(encoding_name(6), "UTF8");
        assert_eq!(encoding_name(0), "SQL_ASCII");
        assert_eq!(encoding_name(41), "SHIFT_JIS_2004");
        assert_eq!(encoding_name(42), "");
        assert_eq!(encoding_name(-1), "");
        assert_eq!(search_path(true), ["pg_catalog", "public"]);
        assert_eq!(search_path(false), ["public"]);
    }
}
