//! `pg_catalog` as datafusion-pg-catalog builds it, with what clients found wrong mended:
//! - `pg_proc` also holds our functions ([`super::proc`]), and its `proacl` is an array;
//! - the array columns of `pg_constraint` (`conkey`, `confkey`) and `pg_index` (`indkey`,
//!   `indoption`, `indclass`, `indcollation`) are arrays, as in PostgreSQL, not text, so
//!   that the `unnest(conkey)` of SQLAlchemy's and JDBC's key queries plans;
//! - `pg_class` has the `reloptions` and `relacl` columns SQLAlchemy's index reflection and
//!   pgAdmin read (NULL: no table has options or grants);
//! - columns of `pg_class`, `pg_attribute` and `pg_database` the builtin answers otherwise
//!   than PostgreSQL are answered as PostgreSQL does (`reloftype` 0, `attcollation` 100 for
//!   text, `datlocprovider` `c`...: [`super::catalog_overlay`]), and `pg_namespace` lists
//!   `information_schema`;
//! - `pg_user`, a view of `pg_roles` ([`super::roles`]), is added;
//! - `pg_seclabels` is added, empty (no object has a security label); pgAdmin's table and
//!   column properties read it.
//!
//! Each mended table is built from the builtin one on its first scan, then kept; `pg_class`,
//! `pg_attribute`, `pg_database` and `pg_namespace`, which the builtin builds anew at each
//! scan, are wrapped instead ([`super::catalog_overlay`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use mediasql_wire::vectors::PG_TYPE_KEY;
use tokio::sync::OnceCell;

use super::arrays::parse_arrays;
use super::catalog_overlay::{OVERLAID, overlaid};
use super::proc::{FunctionInfo, our_rows};

/// Re-registers `pg_catalog` over its mended tables, and datafusion-pg-catalog's functions
/// whose answers are not PostgreSQL's over theirs ([`super::functions::corrected`]).
pub fn mend_pg_catalog(
    ctx: &SessionContext,
    catalog: &str,
    functions: Arc<BTreeMap<i32, FunctionInfo>>,
) -> Result<()> {
    let missing = || DataFusionError::Internal("pg_catalog is not set up".into());
    let catalog = ctx.catalog(catalog).ok_or_else(missing)?;
    let inner = catalog.schema("pg_catalog").ok_or_else(missing)?;
    let schema = Arc::new(MendedCatalog {
        inner,
        functions,
        built: Mutex::default(),
    });
    catalog.register_schema("pg_catalog", schema)?;
    for udf in super::functions::corrected() {
        ctx.register_udf(udf);
    }
    Ok(())
}

struct MendedCatalog {
    inner: Arc<dyn SchemaProvider>,
    functions: Arc<BTreeMap<i32, FunctionInfo>>,
    built: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
}

impl std::fmt::Debug for MendedCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MendedCatalog").finish_non_exhaustive()
    }
}

/// The tables we add to datafusion-pg-catalog's.
pub const ADDED: [&str; 2] = ["pg_user", "pg_seclabels"];

/// `pg_seclabels`, PostgreSQL's columns and no rows.
fn pg_seclabels() -> Result<Arc<dyn TableProvider>> {
    let column = |name: &str, data_type: DataType| Field::new(name, data_type, true);
    let schema = Arc::new(Schema::new(vec![
        column("objoid", DataType::Int32),
        column("classoid", DataType::Int32),
        column("objsubid", DataType::Int32),
        column("objtype", DataType::Utf8),
        column("objnamespace", DataType::Int32),
        column("objname", DataType::Utf8),
        column("provider", DataType::Utf8),
        column("label", DataType::Utf8),
    ]));
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![]])?))
}

/// The array columns of a mended table, with their element type.
fn array_columns(table: &str) -> &'static [(&'static str, DataType)] {
    match table {
        "pg_constraint" => &[("conkey", DataType::Int16), ("confkey", DataType::Int16)],
        "pg_index" => &[
            ("indkey", DataType::Int16),
            ("indoption", DataType::Int16),
            ("indclass", DataType::Int32),
            ("indcollation", DataType::Int32),
        ],
        // psql's `\df+` reads it with array_to_string; pgcli casts the argument types
        // (oidvector text such as `[2276]` in the builtin rows) to `regtype[]`.
        "pg_proc" => &[
            ("proacl", DataType::Utf8),
            // pgjdbc's getProcedureColumns reads them with getArray.
            ("proargnames", DataType::Utf8),
            ("proargmodes", DataType::Utf8),
            ("proargtypes", DataType::Int32),
            ("proallargtypes", DataType::Int32),
        ],
        _ => &[],
    }
}

#[async_trait]
impl SchemaProvider for MendedCatalog {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        names.extend(ADDED.map(String::from));
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        let mend = match name.as_str() {
            overlay if OVERLAID.contains(&overlay) => {
                let Some(builtin) = self.inner.table(&name).await? else {
                    return Ok(None);
                };
                return overlaid(&name, builtin).map(Some);
            }
            "pg_user" => {
                let Some(roles) = self.inner.table("pg_roles").await? else {
                    return Ok(None);
                };
                return super::roles::pg_user(roles).map(Some);
            }
            "pg_seclabels" => return pg_seclabels().map(Some),
            "pg_proc" => Mend::OurFunctions(Arc::clone(&self.functions)),
            other if !array_columns(other).is_empty() => Mend::Arrays(array_columns(other)),
            _ => return self.inner.table(&name).await,
        };
        let Some(builtin) = self.inner.table(&name).await? else {
            return Ok(None);
        };
        let mut built = self
            .built
            .lock()
            .map_err(|_| DataFusionError::Internal("pg_catalog lock poisoned".into()))?;
        let table = built.entry(name).or_insert_with(|| {
            Arc::new(MendedTable {
                schema: mend.schema(&builtin.schema()),
                builtin,
                namespaces: Arc::clone(&self.inner),
                mend,
                rows: OnceCell::new(),
            })
        });
        Ok(Some(Arc::clone(table)))
    }

    fn table_exist(&self, name: &str) -> bool {
        ADDED.iter().any(|added| name.eq_ignore_ascii_case(added)) || self.inner.table_exist(name)
    }
}

/// How a builtin table is mended.
#[derive(Debug)]
enum Mend {
    /// `pg_proc`: our functions' rows added.
    OurFunctions(Arc<BTreeMap<i32, FunctionInfo>>),
    /// Text columns holding arrays parsed into lists.
    Arrays(&'static [(&'static str, DataType)]),
}

impl Mend {
    fn schema(&self, builtin: &SchemaRef) -> SchemaRef {
        match self {
            Self::OurFunctions(_) => typed_schema(builtin, array_columns("pg_proc")),
            Self::Arrays(columns) => typed_schema(builtin, columns),
        }
    }
}

/// A mended catalog table. Its rows are built on its first scan, not when it is looked up:
/// datafusion-pg-catalog looks every table up while it builds `pg_class`, and reading
/// `pg_namespace` then would wait on that very build.
struct MendedTable {
    schema: SchemaRef,
    builtin: Arc<dyn TableProvider>,
    /// For `public`'s oid.
    namespaces: Arc<dyn SchemaProvider>,
    mend: Mend,
    rows: OnceCell<MemTable>,
}

impl std::fmt::Debug for MendedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MendedTable").finish_non_exhaustive()
    }
}

#[async_trait]
impl TableProvider for MendedTable {
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
        let rows = self.rows.get_or_try_init(|| self.build()).await?;
        rows.scan(state, projection, filters, limit).await
    }
}

impl MendedTable {
    async fn build(&self) -> Result<MemTable> {
        let batches = rows_of(&self.builtin).await?;
        let batches = match &self.mend {
            Mend::OurFunctions(functions) => {
                let public = public_oid(&self.namespaces).await?;
                let mut batches = typed_arrays(&self.schema, &batches)?;
                batches.push(our_rows(&self.schema, functions, public)?);
                batches
            }
            Mend::Arrays(_) => typed_arrays(&self.schema, &batches)?,
        };
        MemTable::try_new(Arc::clone(&self.schema), vec![batches])
    }
}

/// Every row of an in-memory catalog table.
async fn rows_of(table: &Arc<dyn TableProvider>) -> Result<Vec<RecordBatch>> {
    // A context of its own: the builtin tables are in memory and need nothing of the
    // engine's (whose catalog holds this schema: no cycle).
    let ctx = SessionContext::new();
    let plan = table.scan(&ctx.state(), None, &[], None).await?;
    collect(plan, ctx.task_ctx()).await
}

/// The oid `pg_namespace` gives `public`.
async fn public_oid(catalog: &Arc<dyn SchemaProvider>) -> Result<i32> {
    let missing = || DataFusionError::Internal("pg_namespace has no 'public'".into());
    let namespaces = catalog.table("pg_namespace").await?.ok_or_else(missing)?;
    for batch in rows_of(&namespaces).await? {
        let (Some(oids), Some(names)) =
            (batch.column_by_name("oid"), batch.column_by_name("nspname"))
        else {
            continue;
        };
        let oids = datafusion::arrow::compute::cast(oids, &DataType::Int32)?;
        let oids = datafusion::common::cast::as_int32_array(&oids)?;
        let names = datafusion::arrow::compute::cast(names, &DataType::Utf8)?;
        let names = datafusion::common::cast::as_string_array(&names)?;
        if let Some(i) = (0..batch.num_rows()).find(|&i| names.value(i) == "public") {
            return Ok(oids.value(i));
        }
    }
    Err(missing())
}

/// The array columns PostgreSQL types as vectors, sent as such ([`mediasql_wire::vectors`]).
const VECTORS: [(&str, &str); 5] = [
    ("indkey", "int2vector"),
    ("indoption", "int2vector"),
    ("indclass", "oidvector"),
    ("indcollation", "oidvector"),
    ("proargtypes", "oidvector"),
];

/// `builtin` with each of `columns` a list of its element type.
fn typed_schema(builtin: &SchemaRef, columns: &[(&str, DataType)]) -> SchemaRef {
    let element_of = |name: &str| columns.iter().find(|(c, _)| *c == name).map(|(_, t)| t);
    let fields: Vec<Field> = builtin
        .fields()
        .iter()
        .map(|f| match element_of(f.name()) {
            Some(element) if f.data_type() == &DataType::Utf8 => {
                let list = DataType::List(Arc::new(Field::new_list_field(element.clone(), true)));
                let field = Field::new(f.name(), list, true);
                match VECTORS.iter().find(|(name, _)| name == f.name()) {
                    Some((_, vector)) => field.with_metadata(HashMap::from([(
                        PG_TYPE_KEY.to_string(),
                        vector.to_string(),
                    )])),
                    None => field,
                }
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `batches` in `typed`'s columns: list columns parsed from PostgreSQL's array text (`{1,2}`,
/// or the vector forms `1 2` and `[1,2]`).
fn typed_arrays(typed: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>> {
    batches
        .iter()
        .map(|batch| {
            let columns = batch
                .columns()
                .iter()
                .zip(typed.fields())
                .map(|(column, field)| match field.data_type() {
                    DataType::List(element) if column.data_type() == &DataType::Utf8 => {
                        parse_arrays(column, element.data_type())
                    }
                    _ => Ok(Arc::clone(column)),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(RecordBatch::try_new(Arc::clone(typed), columns)?)
        })
        .collect()
}
