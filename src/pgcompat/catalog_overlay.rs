//! The `pg_catalog` tables datafusion-pg-catalog builds anew at each scan (`pg_class`,
//! `pg_attribute`, `pg_database`, `pg_namespace`), wrapped so that they answer as PostgreSQL
//! does: columns whose builtin values differ are corrected ([`Fix`]), `pg_class` gains
//! `reloptions` and `relacl`, and `pg_namespace` lists `information_schema`.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{Column, Literal, case};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::union::UnionExec;

use super::information_schema::{INFORMATION_SCHEMA, INFORMATION_SCHEMA_OID};

/// The tables wrapped here.
pub const OVERLAID: [&str; 4] = ["pg_class", "pg_attribute", "pg_database", "pg_namespace"];

/// `builtin`, the builtin table `name` (one of [`OVERLAID`]), answering as PostgreSQL does.
pub fn overlaid(name: &str, builtin: Arc<dyn TableProvider>) -> Result<Arc<dyn TableProvider>> {
    let table = match name {
        "pg_class" => Overlay::new(builtin, PG_CLASS_FIXES).with_null_arrays(PG_CLASS_EXTRA),
        "pg_attribute" => Overlay::new(builtin, PG_ATTRIBUTE_FIXES),
        "pg_database" => Overlay::new(builtin, PG_DATABASE_FIXES),
        "pg_namespace" => {
            let row = information_schema_row(&builtin.schema())?;
            Overlay::new(builtin, &[]).with_rows(row)
        }
        _ => return Ok(builtin),
    };
    Ok(Arc::new(table))
}

/// Columns `pg_class` lacks, all NULL.
const PG_CLASS_EXTRA: &[&str] = &["reloptions", "relacl"];

/// A column of a builtin table answered as PostgreSQL answers it where the builtin's value
/// differs.
#[derive(Debug)]
enum Fix {
    /// This number in every row (kept with the column's oid kind).
    Int(i32),
    /// This text, or NULL, in every row.
    Text(Option<&'static str>),
    /// The value `values` gives the value of the column `key`, else the column's own.
    ByKey {
        key: &'static str,
        values: &'static [(i32, i32)],
    },
}

/// `pg_class`: PostgreSQL's `reloftype` and `relrewrite` are 0 where there is none (NOT
/// NULL), and `relpartbound` NULL for a table that is no partition (the builtin's NULL, NULL
/// and ''; pgcli's `reloftype = 0`, pgAdmin's and DBeaver's table properties read them).
const PG_CLASS_FIXES: &[(&str, Fix)] = &[
    ("reloftype", Fix::Int(0)),
    ("relrewrite", Fix::Int(0)),
    ("relpartbound", Fix::Text(None)),
];

/// `pg_attribute`: `attcollation` is the collation of the column's type (the default
/// collation, 100, for text types, as `pg_type.typcollation`; the builtin's was 0 for all),
/// and `attcompression` '' (no compression method; the builtin's was NULL).
const PG_ATTRIBUTE_FIXES: &[(&str, Fix)] = &[
    (
        "attcollation",
        Fix::ByKey {
            key: "atttypid",
            values: COLLATIONS,
        },
    ),
    ("attcompression", Fix::Text(Some(""))),
];

/// The collation of each collatable type (`pg_type.typcollation`): text, varchar and bpchar
/// and their arrays have the default collation (100), name and its array `C` (950).
const COLLATIONS: &[(i32, i32)] = &[
    (25, 100),
    (1009, 100),
    (1043, 100),
    (1015, 100),
    (1042, 100),
    (1014, 100),
    (19, 950),
    (1003, 950),
];

/// `pg_database`: `datlocprovider` is `c` (libc), as PostgreSQL writes it; the builtin's was
/// `libc`.
const PG_DATABASE_FIXES: &[(&str, Fix)] = &[("datlocprovider", Fix::Text(Some("c")))];

/// A builtin table (built anew at each scan) with some columns answered as PostgreSQL
/// answers them ([`Fix`]), NULL text-array columns added after its own (those it has already
/// are left), and rows added after its own.
struct Overlay {
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    fixes: &'static [(&'static str, Fix)],
    /// Rows in the inner table's columns.
    rows: Vec<RecordBatch>,
}

impl Overlay {
    fn new(inner: Arc<dyn TableProvider>, fixes: &'static [(&'static str, Fix)]) -> Self {
        let own = inner.schema();
        let fields: Vec<Field> = own
            .fields()
            .iter()
            .map(|f| {
                let field = f.as_ref().clone();
                match fixes.iter().find(|(name, _)| name == f.name()) {
                    Some((_, Fix::Int(_) | Fix::Text(Some(_)))) => field.with_nullable(false),
                    Some((_, Fix::Text(None))) => field.with_nullable(true),
                    _ => field,
                }
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        Self {
            inner,
            schema,
            fixes,
            rows: Vec::new(),
        }
    }

    /// With NULL text-array columns `extra` added after the inner table's.
    fn with_null_arrays(mut self, extra: &[&str]) -> Self {
        let text_array = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        let mut fields: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for name in extra {
            if self.schema.field_with_name(name).is_err() {
                fields.push(Field::new(*name, text_array.clone(), true));
            }
        }
        self.schema = Arc::new(Schema::new(fields));
        self
    }

    /// With `rows` (in the inner table's columns) added after the inner table's.
    fn with_rows(mut self, rows: RecordBatch) -> Self {
        self.rows.push(rows);
        self
    }

    fn fix(&self, column: &str) -> Option<&Fix> {
        self.fixes
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, fix)| fix)
    }
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay").finish_non_exhaustive()
    }
}

#[async_trait]
impl TableProvider for Overlay {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let own_schema = self.inner.schema();
        let own = own_schema.fields().len();
        let wanted: Vec<usize> = match projection {
            Some(columns) => columns.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        // The inner columns read: those wanted that are not constant, and the keys of the
        // lookups wanted (at least one column, so that the rows are counted).
        let mut needed: Vec<usize> = Vec::new();
        for &i in wanted.iter().filter(|&&i| i < own) {
            match self.fix(own_schema.field(i).name()) {
                None => needed.push(i),
                Some(Fix::ByKey { key, .. }) => {
                    needed.push(i);
                    needed.push(own_schema.index_of(key)?);
                }
                Some(Fix::Int(_) | Fix::Text(_)) => {}
            }
        }
        needed.sort_unstable();
        needed.dedup();
        if needed.is_empty() && own > 0 {
            needed.push(0);
        }
        let mut input = self.inner.scan(state, Some(&needed), &[], limit).await?;
        if !self.rows.is_empty() {
            let added = MemorySourceConfig::try_new_exec(
                std::slice::from_ref(&self.rows),
                Arc::clone(&own_schema),
                Some(needed.clone()),
            )?;
            input = UnionExec::try_new(vec![input, added])?;
        }
        let input_schema = input.schema();
        let column = |i: usize| -> Result<Arc<dyn PhysicalExpr>> {
            let at = needed.iter().position(|&n| n == i).ok_or_else(|| {
                DataFusionError::Internal(format!("column {i} of a catalog table not read"))
            })?;
            Ok(Arc::new(Column::new(input_schema.field(at).name(), at)))
        };
        let exprs = wanted
            .iter()
            .map(|&i| {
                let field = self.schema.field(i);
                let metadata = || Some(FieldMetadata::from(field.metadata()));
                let expr: Arc<dyn PhysicalExpr> = if i >= own {
                    Arc::new(Literal::new(ScalarValue::try_from(field.data_type())?))
                } else {
                    match self.fix(field.name()) {
                        None => column(i)?,
                        Some(Fix::Int(value)) => Arc::new(Literal::new_with_metadata(
                            ScalarValue::Int32(Some(*value)),
                            metadata(),
                        )),
                        Some(Fix::Text(value)) => {
                            Arc::new(Literal::new(ScalarValue::Utf8(value.map(str::to_string))))
                        }
                        Some(Fix::ByKey { key, values }) => {
                            let when_then = values
                                .iter()
                                .map(|&(k, v)| (int_literal(k), int_literal(v)))
                                .collect();
                            let key = column(own_schema.index_of(key)?)?;
                            case(Some(key), when_then, Some(column(i)?))?
                        }
                    }
                };
                Ok(ProjectionExpr::new(expr, field.name()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(ProjectionExec::try_new(exprs, input)?))
    }
}

fn int_literal(value: i32) -> Arc<dyn PhysicalExpr> {
    Arc::new(Literal::new(ScalarValue::Int32(Some(value))))
}

/// `pg_namespace`'s row for `information_schema`, which PostgreSQL lists: the schema is not
/// among the catalog's ([`super::information_schema`] says why), so the builtin has none,
/// though its static rows (the types and functions of `information_schema`) point at it.
fn information_schema_row(schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let value = match field.name().as_str() {
                "oid" => ScalarValue::Int32(Some(INFORMATION_SCHEMA_OID)),
                "nspname" => ScalarValue::Utf8(Some(INFORMATION_SCHEMA.to_string())),
                // The bootstrap superuser, as for the builtin's schemas.
                "nspowner" => ScalarValue::Int32(Some(10)),
                _ => ScalarValue::try_from(field.data_type())?,
            };
            value.cast_to(field.data_type())?.to_array_of_size(1)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[cfg(test)]
mod tests {
    /// The added columns are there for sessions' queries (pg_class is looked up anew each time).
    #[tokio::test]
    async fn pg_class_has_the_added_columns() {
        let engine = crate::engine::Engine::new(&crate::config::Config::default()).unwrap();
        let session = engine.session();
        let sql = "SELECT relname, reloptions, relacl FROM pg_catalog.pg_class LIMIT 1";
        let outputs = session.execute_sql(sql).await;
        assert!(outputs.is_ok(), "{:?}", outputs.err());
    }
}
