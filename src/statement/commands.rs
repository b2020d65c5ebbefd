//! The statements a session answers itself (SET, SHOW, BEGIN/COMMIT/ROLLBACK...), and the
//! completion tags of those DataFusion runs.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{self, Set};

use mediasql_udfs::models::{ModelEntry, ModelRegistry};

use super::Output;

/// Session commands answered without DataFusion.
pub enum SessionCommand {
    Set(String, String),
    /// `SET datafusion.runtime.memory_limit`: the session's share of the server's memory
    /// (None: the default share).
    MemoryLimit(Option<String>),
    Show(String),
    ShowAll,
    ShowModels,
    /// `SHOW CACHE`: the inference cache, per model.
    ShowCache,
    Begin,
    Commit,
    Rollback,
    Tag(&'static str),
}

/// The command tag of a DDL or DML statement that ran: `INSERT 0 n`, `UPDATE n`, ..., or the
/// DDL's own tag.
pub fn command_output(
    dml: Option<String>,
    tag: Option<String>,
    batches: Vec<RecordBatch>,
) -> String {
    match dml {
        Some(op) if op == "INSERT" => format!("INSERT 0 {}", affected_rows(&batches)),
        Some(op) => format!("{op} {}", affected_rows(&batches)),
        None => tag.unwrap_or_default(),
    }
}

/// The `count` DataFusion returns for INSERT/UPDATE/DELETE.
fn affected_rows(batches: &[RecordBatch]) -> u64 {
    batches
        .first()
        .and_then(|b| b.column_by_name("count"))
        .and_then(|c| c.as_any().downcast_ref::<UInt64Array>())
        .filter(|c| !c.is_empty())
        .map_or(0, |c| c.value(0))
}

pub fn show_models_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, true),
        Field::new("sha256", DataType::Utf8, true),
        Field::new("loaded", DataType::Boolean, false),
    ]))
}

pub fn show_cache_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("entries", DataType::Int64, false),
        Field::new("bytes", DataType::Int64, false),
        Field::new("hits", DataType::Int64, false),
        Field::new("misses", DataType::Int64, false),
        Field::new("hit_rate", DataType::Float64, true),
    ]))
}

/// `SHOW CACHE`'s rows: what the inference cache keeps per model, and this process's hits
/// and misses since it started (hit_rate NULL before any lookup).
pub fn cache_batch(lines: &[crate::cache::CacheLine]) -> Result<RecordBatch> {
    let int = |f: fn(&crate::cache::CacheLine) -> u64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(
            lines.iter().map(|l| f(l) as i64),
        ))
    };
    let rate = Float64Array::from_iter(lines.iter().map(|l| {
        let seen = l.hits + l.misses;
        (seen > 0).then(|| l.hits as f64 / seen as f64)
    }));
    Ok(RecordBatch::try_new(
        show_cache_schema(),
        vec![
            Arc::new(StringArray::from_iter_values(
                lines.iter().map(|l| &l.model),
            )),
            int(|l| l.entries),
            int(|l| l.bytes),
            int(|l| l.hits),
            int(|l| l.misses),
            Arc::new(rate),
        ],
    )?)
}

pub fn rows(batch: RecordBatch) -> Result<Output> {
    let schema = batch.schema();
    Ok(Output::Rows(Box::pin(MemoryStream::try_new(
        vec![batch],
        schema,
        None,
    )?)))
}

pub fn show_schema(name: &str) -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(
        shown_name(name),
        DataType::Utf8,
        false,
    )]))
}

/// The column `SHOW name` answers in: the setting's name as PostgreSQL spells it.
fn shown_name(name: &str) -> &str {
    match name {
        "timezone" => "TimeZone",
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        other => other,
    }
}

pub fn show_all_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("setting", DataType::Utf8, false),
    ]))
}

/// Recognises the statements a session answers itself. `SET`/`SHOW` of `datafusion.*`
/// settings go to DataFusion.
pub fn session_command(statement: &SqlStatement) -> Option<SessionCommand> {
    let SqlStatement::Statement(s) = statement else {
        return None;
    };
    match s.as_ref() {
        ast::Statement::StartTransaction { .. } => Some(SessionCommand::Begin),
        ast::Statement::Commit { .. } => Some(SessionCommand::Commit),
        ast::Statement::Rollback {
            savepoint: Some(_), ..
        } => Some(SessionCommand::Tag("ROLLBACK")),
        ast::Statement::Rollback { .. } => Some(SessionCommand::Rollback),
        ast::Statement::Savepoint { .. } => Some(SessionCommand::Tag("SAVEPOINT")),
        ast::Statement::ReleaseSavepoint { .. } => Some(SessionCommand::Tag("RELEASE")),
        ast::Statement::Discard { .. } => Some(SessionCommand::Tag("DISCARD ALL")),
        ast::Statement::Deallocate { .. } => Some(SessionCommand::Tag("DEALLOCATE")),
        ast::Statement::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(setting) = name.strip_prefix("mediasql ") {
                return Some(SessionCommand::Show(format!("mediasql.{setting}")));
            }
            match name.as_str() {
                "all" => Some(SessionCommand::ShowAll),
                "models" => Some(SessionCommand::ShowModels),
                "cache" => Some(SessionCommand::ShowCache),
                "transaction isolation level" => {
                    Some(SessionCommand::Show("transaction_isolation".into()))
                }
                "time zone" => Some(SessionCommand::Show("timezone".into())),
                n if n.starts_with("datafusion.") || n.contains(' ') => None,
                n => Some(SessionCommand::Show(n.to_string())),
            }
        }
        ast::Statement::Set(set) => set_command(set),
        // DataFusion's RESET of it would give the session an unbounded pool of its own.
        ast::Statement::Reset(reset)
            if matches!(&reset.reset, ast::Reset::ConfigurationParameter(name)
                if name.to_string().eq_ignore_ascii_case("datafusion.runtime.memory_limit")) =>
        {
            Some(SessionCommand::MemoryLimit(None))
        }
        _ => None,
    }
}

fn set_command(set: &Set) -> Option<SessionCommand> {
    match set {
        Set::SingleAssignment {
            variable, values, ..
        } => {
            let name = variable.to_string().to_ascii_lowercase();
            let value = values
                .iter()
                .map(|v| unquote(&v.to_string()))
                .collect::<Vec<_>>()
                .join(", ");
            if name == "datafusion.runtime.memory_limit" {
                let default = value.eq_ignore_ascii_case("default");
                return Some(SessionCommand::MemoryLimit((!default).then_some(value)));
            }
            if is_engine_setting(&name) {
                return None;
            }
            Some(SessionCommand::Set(name, value))
        }
        Set::SetTimeZone { value, .. } => Some(SessionCommand::Set(
            "timezone".into(),
            unquote(&value.to_string()),
        )),
        Set::SetNames { charset_name, .. } => Some(SessionCommand::Set(
            "client_encoding".into(),
            charset_name.value.clone(),
        )),
        _ => Some(SessionCommand::Tag("SET")),
    }
}

/// Settings DataFusion keeps (its own, and the `mediasql.*` config extension).
fn is_engine_setting(name: &str) -> bool {
    name.starts_with("datafusion.") || name.starts_with("mediasql.")
}

fn unquote(s: &str) -> String {
    s.trim_matches('\'').to_string()
}

/// Whether `plan` answers with a tag and no rows (DDL, DML, COPY TO a file...): described
/// to clients as NoData.
pub fn is_command(plan: &LogicalPlan) -> bool {
    command_tag(plan).is_some() || matches!(plan, LogicalPlan::Dml(_))
}

/// The completion tag of a plan that runs as a command, or None for a query.
pub fn command_tag(plan: &LogicalPlan) -> Option<String> {
    Some(match plan {
        LogicalPlan::Ddl(ddl) => match ddl {
            DdlStatement::CreateExternalTable(_) | DdlStatement::CreateMemoryTable(_) => {
                "CREATE TABLE"
            }
            DdlStatement::CreateView(_) => "CREATE VIEW",
            DdlStatement::CreateCatalogSchema(_) => "CREATE SCHEMA",
            DdlStatement::CreateCatalog(_) => "CREATE DATABASE",
            DdlStatement::DropTable(_) => "DROP TABLE",
            DdlStatement::DropView(_) => "DROP VIEW",
            DdlStatement::DropCatalogSchema(_) => "DROP SCHEMA",
            DdlStatement::CreateFunction(_) => "CREATE FUNCTION",
            DdlStatement::DropFunction(_) => "DROP FUNCTION",
            _ => "OK",
        }
        .to_string(),
        LogicalPlan::Statement(_) => "SET".to_string(),
        _ => return None,
    })
}

/// `SHOW MODELS`: every registered model, its main file, that file's pinned sha256 and
/// whether it is loaded.
pub fn models_batch(models: &ModelRegistry) -> Result<RecordBatch> {
    let entries = models.entries();
    let entries = entries.as_slice();
    let file = |e: &ModelEntry| e.file("model").ok().cloned();
    let names = StringArray::from_iter_values(entries.iter().map(|e| e.name.as_str()));
    let kinds = StringArray::from_iter_values(entries.iter().map(|e| e.kind.as_str()));
    let files: StringArray = entries.iter().map(|e| file(e).map(|f| f.path)).collect();
    let hashes: StringArray = entries.iter().map(|e| file(e).map(|f| f.sha256)).collect();
    let loaded = BooleanArray::from_iter(entries.iter().map(|e| Some(models.is_loaded(&e.name))));
    Ok(RecordBatch::try_new(
        show_models_schema(),
        vec![
            Arc::new(names),
            Arc::new(kinds),
            Arc::new(files),
            Arc::new(hashes),
            Arc::new(loaded),
        ],
    )?)
}
