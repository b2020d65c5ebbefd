//! `information_schema` as PostgreSQL clients read it.
//!
//! DataFusion's own answers `columns` with Arrow type names (`Utf8`, `Int64`) and lacks the
//! `udt_*` columns Grafana and Metabase select, and it has no constraint tables, which
//! Metabase's field sync joins. This schema serves:
//! - `columns` in PostgreSQL's shape: `data_type` as `format_type` names it (`bigint`,
//!   `ARRAY`), `udt_name` the catalog name (`int8`, `_float4`), the wire types columns are
//!   sent as ([`mediasql_wire::encode::pg_type`]), DataFusion's columns kept under their names
//!   (so `SHOW COLUMNS` still plans);
//! - `table_constraints`, `key_column_usage`, `referential_constraints`,
//!   `constraint_column_usage`: empty (media tables have no keys), with PostgreSQL's columns;
//! - every other table (`tables`, `views`, `schemata`, `routines`, `df_settings` ...) from
//!   DataFusion's provider.
//!
//! DataFusion's `information_schema` switch is off so that this schema, answered by the
//! catalog, is the one found; DataFusion still lists its own tables in `tables`. Like
//! DataFusion's, it is not among the catalog's schema names, so `columns` does not list
//! `information_schema`'s own columns.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int32Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::information_schema::InformationSchemaProvider;
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, SchemaProvider, Session, TableFunction, TableProvider,
};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use pgwire::api::Type;
use postgres_types::Kind;

use super::proc::sql_type_name;

/// The schema's name.
pub const INFORMATION_SCHEMA: &str = "information_schema";

/// The schema's oid in the PostgreSQL whose catalog datafusion-pg-catalog's static rows
/// come from: its types and functions (`cardinal_number`, `_pg_expandarray`) name it as their
/// namespace, and `pg_namespace` lists it under it ([`super::catalog_overlay`]).
pub const INFORMATION_SCHEMA_OID: i32 = 13283;

/// Registers our `information_schema` in `catalog` (DataFusion's switch must be off).
pub fn install(ctx: &SessionContext, catalog: &str) -> Result<()> {
    let state = ctx.state();
    let list = state.catalog_list();
    let schema = Arc::new(PgInformationSchema {
        // Weak: the catalog list holds this schema.
        catalogs: Arc::downgrade(list),
        table_functions: state.table_functions().clone(),
    });
    let inner = ctx
        .catalog(catalog)
        .ok_or_else(|| DataFusionError::Internal(format!("no catalog {catalog}")))?;
    ctx.register_catalog(catalog, Arc::new(WithInformationSchema { inner, schema }));
    Ok(())
}

/// A catalog that also answers for `information_schema` without listing it among its
/// schemas, as DataFusion's own is not listed: datafusion-pg-catalog lists the catalog's
/// schemas in `pg_class`, where our views would show as tables of a visible schema
/// (SQLAlchemy's `get_table_names()` listed them beside `images`). `pg_namespace`, which
/// PostgreSQL's clients list schemas from, has its row all the same
/// ([`super::catalog_overlay`]).
#[derive(Debug)]
struct WithInformationSchema {
    inner: Arc<dyn CatalogProvider>,
    schema: Arc<PgInformationSchema>,
}

impl CatalogProvider for WithInformationSchema {
    fn schema_names(&self) -> Vec<String> {
        self.inner.schema_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if name.eq_ignore_ascii_case(INFORMATION_SCHEMA) {
            return Some(Arc::clone(&self.schema) as Arc<dyn SchemaProvider>);
        }
        self.inner.schema(name)
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.inner.register_schema(name, schema)
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.inner.deregister_schema(name, cascade)
    }
}

#[derive(Debug)]
struct PgInformationSchema {
    catalogs: Weak<dyn CatalogProviderList>,
    table_functions: HashMap<String, Arc<TableFunction>>,
}

/// Tables of ours: `columns` and the constraint tables.
const OURS: &[&str] = &[
    "columns",
    "table_constraints",
    "key_column_usage",
    "referential_constraints",
    "constraint_column_usage",
];

impl PgInformationSchema {
    fn catalogs(&self) -> Result<Arc<dyn CatalogProviderList>> {
        self.catalogs
            .upgrade()
            .ok_or_else(|| DataFusionError::Internal("the engine's catalogs are gone".into()))
    }

    fn datafusion_provider(&self) -> Result<InformationSchemaProvider> {
        Ok(InformationSchemaProvider::new(self.catalogs()?)
            .with_table_functions(self.table_functions.clone()))
    }
}

#[async_trait]
impl SchemaProvider for PgInformationSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .datafusion_provider()
            .map(|p| p.table_names())
            .unwrap_or_default();
        names.extend(OURS.iter().map(|n| (*n).to_string()));
        names.sort();
        names.dedup();
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "columns" => Ok(Some(Arc::new(Columns {
                catalogs: self.catalogs.clone(),
                schema: columns_schema(),
            }))),
            other => match constraint_table(other) {
                Some(schema) => Ok(Some(Arc::new(MemTable::try_new(schema, vec![vec![]])?))),
                None => self.datafusion_provider()?.table(&name).await,
            },
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        OURS.contains(&name.as_str())
            || self
                .datafusion_provider()
                .is_ok_and(|p| p.table_exist(&name))
    }
}

/// The columns of an (empty) constraint table, all text but the positions.
fn constraint_table(name: &str) -> Option<SchemaRef> {
    let constraint = ["constraint_catalog", "constraint_schema", "constraint_name"];
    let table = ["table_catalog", "table_schema", "table_name"];
    let (text, ints): (Vec<&str>, &[&str]) = match name {
        "table_constraints" => {
            let extra = [
                "constraint_type",
                "is_deferrable",
                "initially_deferred",
                "enforced",
                "nulls_distinct",
            ];
            ([&constraint[..], &table[..], &extra[..]].concat(), &[])
        }
        "key_column_usage" => (
            [&constraint[..], &table[..], &["column_name"][..]].concat(),
            &["ordinal_position", "position_in_unique_constraint"],
        ),
        "referential_constraints" => {
            let extra = [
                "unique_constraint_catalog",
                "unique_constraint_schema",
                "unique_constraint_name",
                "match_option",
                "update_rule",
                "delete_rule",
            ];
            ([&constraint[..], &extra[..]].concat(), &[])
        }
        "constraint_column_usage" => (
            [&table[..], &["column_name"][..], &constraint[..]].concat(),
            &[],
        ),
        _ => return None,
    };
    let mut fields: Vec<Field> = text
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, true))
        .collect();
    fields.extend(ints.iter().map(|n| Field::new(*n, DataType::Int32, true)));
    Some(Arc::new(Schema::new(fields)))
}

/// `information_schema.columns`, listed anew at each scan (tables come and go).
#[derive(Debug)]
struct Columns {
    catalogs: Weak<dyn CatalogProviderList>,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for Columns {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let catalogs = self
            .catalogs
            .upgrade()
            .ok_or_else(|| DataFusionError::Internal("the engine's catalogs are gone".into()))?;
        let rows = column_rows(catalogs.as_ref()).await?;
        let batch = columns_batch(&self.schema, &rows)?;
        let table = MemTable::try_new(Arc::clone(&self.schema), vec![vec![batch]])?;
        table.scan(state, projection, filters, limit).await
    }
}

/// One column of one table.
struct ColumnRow {
    catalog: String,
    schema: String,
    table: String,
    field: Field,
    position: i32,
}

async fn column_rows(catalogs: &dyn CatalogProviderList) -> Result<Vec<ColumnRow>> {
    let mut rows = Vec::new();
    for catalog_name in catalogs.catalog_names() {
        let Some(catalog) = catalogs.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            let Some(schema) = catalog.schema(&schema_name) else {
                continue;
            };
            for table_name in schema.table_names() {
                let Some(table) = schema.table(&table_name).await? else {
                    continue;
                };
                for (i, field) in table.schema().fields().iter().enumerate() {
                    rows.push(ColumnRow {
                        catalog: catalog_name.clone(),
                        schema: schema_name.clone(),
                        table: table_name.clone(),
                        field: field.as_ref().clone(),
                        position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                    });
                }
            }
        }
    }
    Ok(rows)
}

/// What a column of `columns` holds for a row.
enum Value {
    Text(fn(&ColumnRow) -> Option<String>),
    Int(fn(&ColumnRow) -> Option<i32>),
}

/// `columns`' columns, in PostgreSQL's order; those without a value are NULL.
const COLUMNS: &[(&str, Value)] = &[
    ("table_catalog", Value::Text(|r| Some(r.catalog.clone()))),
    ("table_schema", Value::Text(|r| Some(r.schema.clone()))),
    ("table_name", Value::Text(|r| Some(r.table.clone()))),
    ("column_name", Value::Text(|r| Some(r.field.name().clone()))),
    ("ordinal_position", Value::Int(|r| Some(r.position))),
    ("column_default", Value::Text(|_| None)),
    (
        "is_nullable",
        Value::Text(|r| Some(yes_no(r.field.is_nullable()))),
    ),
    ("data_type", Value::Text(|r| Some(data_type(&r.field)))),
    ("character_maximum_length", Value::Int(|_| None)),
    ("character_octet_length", Value::Int(|_| None)),
    (
        "numeric_precision",
        Value::Int(|r| numeric(r.field.data_type()).map(|n| n.0)),
    ),
    (
        "numeric_precision_radix",
        Value::Int(|r| numeric(r.field.data_type()).map(|n| n.1)),
    ),
    (
        "numeric_scale",
        Value::Int(|r| numeric(r.field.data_type()).and_then(|n| n.2)),
    ),
    (
        "datetime_precision",
        Value::Int(|r| datetime_precision(r.field.data_type())),
    ),
    ("interval_type", Value::Text(|_| None)),
    ("interval_precision", Value::Int(|_| None)),
    ("character_set_catalog", Value::Text(|_| None)),
    ("character_set_schema", Value::Text(|_| None)),
    ("character_set_name", Value::Text(|_| None)),
    ("collation_catalog", Value::Text(|_| None)),
    ("collation_schema", Value::Text(|_| None)),
    ("collation_name", Value::Text(|_| None)),
    ("domain_catalog", Value::Text(|_| None)),
    ("domain_schema", Value::Text(|_| None)),
    ("domain_name", Value::Text(|_| None)),
    ("udt_catalog", Value::Text(|r| Some(r.catalog.clone()))),
    (
        "udt_schema",
        Value::Text(|_| Some("pg_catalog".to_string())),
    ),
    (
        "udt_name",
        Value::Text(|r| Some(wire_type(&r.field).name().to_string())),
    ),
    ("scope_catalog", Value::Text(|_| None)),
    ("scope_schema", Value::Text(|_| None)),
    ("scope_name", Value::Text(|_| None)),
    ("maximum_cardinality", Value::Int(|_| None)),
    (
        "dtd_identifier",
        Value::Text(|r| Some(r.position.to_string())),
    ),
    ("is_self_referencing", Value::Text(|_| Some(yes_no(false)))),
    ("is_identity", Value::Text(|_| Some(yes_no(false)))),
    ("identity_generation", Value::Text(|_| None)),
    ("identity_start", Value::Text(|_| None)),
    ("identity_increment", Value::Text(|_| None)),
    ("identity_maximum", Value::Text(|_| None)),
    ("identity_minimum", Value::Text(|_| None)),
    ("identity_cycle", Value::Text(|_| Some(yes_no(false)))),
    ("is_generated", Value::Text(|_| Some("NEVER".to_string()))),
    ("generation_expression", Value::Text(|_| None)),
    ("is_updatable", Value::Text(|_| Some(yes_no(false)))),
];

fn columns_schema() -> SchemaRef {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .map(|(name, value)| match value {
            Value::Text(_) => Field::new(*name, DataType::Utf8, true),
            Value::Int(_) => Field::new(*name, DataType::Int32, true),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn columns_batch(schema: &SchemaRef, rows: &[ColumnRow]) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = COLUMNS
        .iter()
        .map(|(_, value)| -> ArrayRef {
            match value {
                Value::Text(of) => {
                    let mut builder = StringBuilder::new();
                    rows.iter().for_each(|r| builder.append_option(of(r)));
                    Arc::new(builder.finish())
                }
                Value::Int(of) => {
                    let mut builder = Int32Builder::new();
                    rows.iter().for_each(|r| builder.append_option(of(r)));
                    Arc::new(builder.finish())
                }
            }
        })
        .collect();
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

fn yes_no(yes: bool) -> String {
    if yes { "YES" } else { "NO" }.to_string()
}

/// The type a column is sent as over the wire.
fn wire_type(field: &Field) -> Type {
    mediasql_wire::encode::pg_type(field.data_type())
}

/// `data_type` as PostgreSQL shows it: `ARRAY` for arrays, else the SQL name of the type.
fn data_type(field: &Field) -> String {
    let wire = wire_type(field);
    if matches!(wire.kind(), Kind::Array(_)) {
        return "ARRAY".to_string();
    }
    sql_type_name(wire.name())
}

/// (precision, radix, scale) of a numeric column.
fn numeric(data_type: &DataType) -> Option<(i32, i32, Option<i32>)> {
    let binary = |bits| Some((bits, 2, Some(0)));
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => binary(16),
        DataType::Int32 | DataType::UInt16 => binary(32),
        DataType::Int64 | DataType::UInt32 => binary(64),
        DataType::Float16 | DataType::Float32 => Some((24, 2, None)),
        DataType::Float64 => Some((53, 2, None)),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => {
            Some((i32::from(*p), 10, Some(i32::from(*s))))
        }
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            Some((i32::from(*p), 10, Some(i32::from(*s))))
        }
        _ => None,
    }
}

fn datetime_precision(data_type: &DataType) -> Option<i32> {
    match data_type {
        DataType::Date32 | DataType::Date64 => Some(0),
        DataType::Timestamp(..) | DataType::Time32(_) | DataType::Time64(_) => Some(6),
        DataType::Interval(_) | DataType::Duration(_) => Some(6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_types_are_named_as_postgresql_names_them() {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float32, true)));
        let cases = [
            (DataType::Int64, "bigint", "int8"),
            (DataType::Float64, "double precision", "float8"),
            (DataType::Utf8, "text", "text"),
            (DataType::Binary, "bytea", "bytea"),
            (list, "ARRAY", "_float4"),
        ];
        for (arrow, sql, udt) in cases {
            let field = Field::new("c", arrow, true);
            assert_eq!(data_type(&field), sql);
            assert_eq!(wire_type(&field).name(), udt);
        }
    }

    #[test]
    fn constraint_tables_have_postgresql_columns() {
        let keys = constraint_table("key_column_usage").unwrap();
        assert!(keys.field_with_name("column_name").is_ok());
        assert_eq!(
            keys.field_with_name("ordinal_position")
                .unwrap()
                .data_type(),
            &DataType::Int32
        );
        assert!(constraint_table("nothing").is_none());
    }
}
