//! A client session: parses Postgres-dialect SQL, answers session commands (SET, SHOW,
//! BEGIN/COMMIT/ROLLBACK) itself and hands everything else to DataFusion.
//!
//! The wire server and the in-process test runner both go through here, so the SQL a
//! client sends behaves the same either way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, BooleanArray, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::config::ExtensionOptions;
use datafusion::common::{DataFusionError, ParamValues, Result, ScalarValue, plan_err};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::physical_plan::execute_stream;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParserBuilder, Statement as SqlStatement};
use datafusion::sql::sqlparser::ast::{self, Set};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use mediasql_udfs::io::MediaRoots;
use mediasql_udfs::models::ModelRegistry;

use crate::copy_out::{CopyFormat, copy_out_query};
use crate::cursor::{CursorStatement, Cursors, cursor_statement};
use crate::exec::MediasqlOptions;
use crate::exec::progress::Progress;
use crate::file_access::check_file_access;
use crate::interrupt::{Canceller, parse_timeout};
use crate::memory::{SessionMemory, with_runtime};
use crate::model_ddl::{self, ModelStatement};
use crate::named_args::NamedParameters;
use crate::pgcompat::int_literals::narrow_int_literals;
use crate::pgcompat::params::{cast_declared, oid_placeholders, placeholder_casts};
use crate::pgcompat::pg_rewrites::PgRewrites;
use crate::pgcompat::settings::{Settings, bind_settings};
use crate::pools::admission::Admission;
use crate::pools::plans;

/// What running one statement gives.
pub enum Output {
    /// Rows, streamed batch by batch.
    Rows(SendableRecordBatchStream),
    /// A command's completion tag (`SET`, `CREATE TABLE`...).
    Command(String),
    /// `BEGIN`: the session is now in a transaction block.
    TransactionStart(String),
    /// `COMMIT`/`ROLLBACK`: the transaction block ended.
    TransactionEnd(String),
    /// `COPY ... TO STDOUT`: rows to send in a COPY format.
    CopyOut(SendableRecordBatchStream, CopyFormat),
    /// `FETCH`: rows of a cursor.
    Fetch(SendableRecordBatchStream),
}

/// One parsed statement: SQL for DataFusion (or the session), or a model statement.
#[derive(Debug, Clone)]
pub enum Statement {
    Sql(SqlStatement),
    Model(ModelStatement),
}

/// A statement parsed and planned once, executed with parameters many times.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub statement: Statement,
    /// The plan with `$n` placeholders (None for session commands).
    pub plan: Option<LogicalPlan>,
    /// The result columns (empty for commands).
    pub schema: SchemaRef,
    /// The type of each `$n`, where the plan tells it.
    pub param_types: Vec<Option<DataType>>,
    /// The `$n` (1-based) the statement casts to `oid`/`oid[]`: described as oids.
    pub oid_params: Vec<usize>,
    /// For `DECLARE`: the cursor's name and whether it outlives its transaction; the plan is
    /// its query.
    pub cursor: Option<(String, bool)>,
}

impl Prepared {
    /// A statement run as a whole when executed (session commands, COPY, FETCH...).
    fn unplanned(statement: Statement, schema: SchemaRef) -> Self {
        Self {
            statement,
            plan: None,
            schema,
            param_types: Vec::new(),
            oid_params: Vec::new(),
            cursor: None,
        }
    }
}

/// Session commands answered without DataFusion.
enum SessionCommand {
    Set(String, String),
    /// `SET datafusion.runtime.memory_limit`: the session's share of the server's memory
    /// (None: the default share).
    MemoryLimit(Option<String>),
    Show(String),
    ShowAll,
    ShowModels,
    Begin,
    Commit,
    Rollback,
    Tag(&'static str),
}

/// One connection's session.
pub struct Session {
    ctx: SessionContext,
    parser: Arc<PgRewrites>,
    named: Arc<NamedParameters>,
    models: Arc<ModelRegistry>,
    vars: Mutex<BTreeMap<String, String>>,
    canceller: Canceller,
    progress: Arc<Progress>,
    cursors: Cursors,
    /// Where this session may read and write files; None: anywhere the process can.
    roots: Option<Arc<MediaRoots>>,
    /// The server's running-plan slots, shared by every session.
    admission: Arc<Admission>,
    /// The server's memory pool, which this session draws from up to its limit.
    memory: SessionMemory,
}

impl Session {
    pub(crate) fn new(
        ctx: SessionContext,
        parser: Arc<PgRewrites>,
        named: Arc<NamedParameters>,
        models: Arc<ModelRegistry>,
        roots: Option<Arc<MediaRoots>>,
        admission: Arc<Admission>,
        memory: SessionMemory,
    ) -> Self {
        let progress = Arc::new(Progress::default());
        ctx.state_ref()
            .write()
            .config_mut()
            .set_extension(Arc::clone(&progress));
        Self {
            ctx,
            parser,
            named,
            models,
            vars: Mutex::new(default_settings()),
            canceller: Canceller::default(),
            progress,
            cursors: Cursors::default(),
            roots,
            admission,
            memory,
        }
    }

    /// How often a model statement sends progress NOTICEs: `mediasql.progress_interval`,
    /// none when it is 0 or the client wants no notices (`client_min_messages`).
    pub fn progress_interval(&self) -> Option<std::time::Duration> {
        let level = self
            .vars
            .lock()
            .ok()
            .and_then(|vars| vars.get("client_min_messages").cloned())
            .unwrap_or_default();
        let quiet = matches!(
            level.to_ascii_lowercase().as_str(),
            "warning" | "error" | "fatal" | "panic"
        );
        let state = self.ctx.state_ref();
        let seconds = MediasqlOptions::from_config(state.read().config_options()).progress_interval;
        (!quiet && seconds > 0.0)
            .then(|| std::time::Duration::try_from_secs_f64(seconds).ok())
            .flatten()
    }

    /// How far the running statement's model work has got.
    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    /// Cancels the statement running now (a CancelRequest): its rows end with SQLSTATE 57014.
    pub fn cancel(&self) {
        self.canceller.cancel();
    }

    /// The session's `statement_timeout`.
    fn statement_timeout(&self) -> Result<Option<std::time::Duration>> {
        let vars = self
            .vars
            .lock()
            .map_err(|_| DataFusionError::Internal("session settings lock poisoned".into()))?;
        match vars.get("statement_timeout") {
            Some(value) => parse_timeout(value),
            None => Ok(None),
        }
    }

    /// The session's DataFusion context.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Names the user this session runs for (`current_user`, `session_user`).
    pub fn set_user(&self, user: &str) {
        self.ctx
            .register_udf(crate::pgcompat::functions::session_user(user));
    }

    /// Parses one or more `;`-separated statements.
    ///
    /// DataFusion's parser comes first (it knows `CREATE EXTERNAL TABLE`, `COPY`, `EXPLAIN`
    /// options); plain SQL then gets datafusion-pg-catalog's rewrites of what psql and
    /// drivers send (`::regclass`, `OPERATOR(pg_catalog.~)`...), see [`PgRewrites`].
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        if let Some(model) = model_ddl::parse(sql) {
            return Ok(vec![Statement::Model(model?)]);
        }
        let mut statements = self.parse_sql(sql)?;
        for statement in &mut statements {
            self.named.fill_skipped(statement);
        }
        Ok(statements.into_iter().map(Statement::Sql).collect())
    }

    fn parse_sql(&self, sql: &str) -> Result<Vec<SqlStatement>> {
        let sql = crate::pgcompat::asyncpg_types::replacement(sql).unwrap_or(sql);
        let parsed = DFParserBuilder::new(sql)
            .with_dialect(&PostgreSqlDialect {})
            .build()
            .and_then(|mut parser| parser.parse_statements());
        let statements = match parsed {
            Ok(statements) => statements,
            // Some client queries only parse once rewritten; otherwise report DataFusion's error.
            Err(e) => match self.parser.parse_refused(sql) {
                Ok(rewritten) => {
                    return Ok(rewritten
                        .into_iter()
                        .map(|s| SqlStatement::Statement(Box::new(s)))
                        .collect());
                }
                Err(_) => return Err(e),
            },
        };
        let single = statements.len() == 1;
        let mut rewritten = Vec::with_capacity(statements.len());
        for mut statement in statements {
            let changed = crate::pgcompat::regproc::rewrite(&mut statement);
            rewritten.push(match statement {
                // The compatibility parser's swaps match a statement's text alone.
                SqlStatement::Statement(s) if single => {
                    let text = if changed {
                        s.to_string()
                    } else {
                        sql.to_string()
                    };
                    SqlStatement::Statement(Box::new(self.parser.rewrite(&text, *s)))
                }
                other => self.parser.apply_within(other),
            });
        }
        Ok(rewritten)
    }

    /// Runs every statement of `sql` in order, stopping at the first error.
    pub async fn execute_sql(&self, sql: &str) -> Result<Vec<Output>> {
        let mut outputs = Vec::new();
        for statement in self.parse(sql)? {
            outputs.push(self.execute(&statement).await?);
        }
        Ok(outputs)
    }

    /// Runs one statement.
    pub async fn execute(&self, statement: &Statement) -> Result<Output> {
        let statement = match statement {
            Statement::Model(model) => {
                if let Some(roots) = &self.roots {
                    model.check_access(roots)?;
                }
                return Ok(Output::Command(model.execute(&self.models)?));
            }
            Statement::Sql(statement) => statement,
        };
        if let Some(copy) = copy_out_query(statement) {
            let (query, format) = copy?;
            let query = self.rewrite_for_planning(&query)?;
            let plan = self.plan_statement(query).await?;
            return match self.run_plan(plan).await? {
                Output::Rows(rows) => Ok(Output::CopyOut(rows, format)),
                other => Ok(other),
            };
        }
        if let Some(cursor) = cursor_statement(statement) {
            return self.run_cursor(cursor?).await;
        }
        if let Some(command) = session_command(statement) {
            return self.run_command(command);
        }
        let statement = self.rewrite_for_planning(statement)?;
        let plan = self.plan_statement(statement).await?;
        self.run_plan(plan).await
    }

    /// Parses and plans one statement for the extended protocol; `$n` has type
    /// `declared[n - 1]` where the client declared one.
    pub async fn prepare(
        &self,
        statement: Statement,
        declared: &[Option<DataType>],
    ) -> Result<Prepared> {
        let empty = || Arc::new(Schema::empty());
        let sql = match &statement {
            Statement::Model(_) => return Ok(Prepared::unplanned(statement, empty())),
            Statement::Sql(sql) => sql.clone(),
        };
        // Run as a whole when executed: its rows go out as COPY data, not as a result.
        if copy_out_query(&sql).is_some() {
            return Ok(Prepared::unplanned(statement, empty()));
        }
        if let Some(cursor) = cursor_statement(&sql) {
            return match cursor? {
                CursorStatement::Declare { name, hold, query } => {
                    let (plan, param_types) = self.plan_with_params(&query, declared).await?;
                    Ok(Prepared {
                        statement,
                        plan: Some(plan),
                        schema: empty(),
                        param_types,
                        oid_params: oid_placeholders(&query),
                        cursor: Some((name, hold)),
                    })
                }
                CursorStatement::Fetch { name, .. } => {
                    let schema = self.cursors.schema(&name)?;
                    Ok(Prepared::unplanned(statement, schema))
                }
                CursorStatement::Close(_) => Ok(Prepared::unplanned(statement, empty())),
            };
        }
        if let Some(command) = session_command(&sql) {
            let schema = match command {
                SessionCommand::Show(name) => show_schema(&name),
                SessionCommand::ShowAll => show_all_schema(),
                SessionCommand::ShowModels => show_models_schema(),
                _ => empty(),
            };
            return Ok(Prepared::unplanned(statement, schema));
        }
        let (plan, param_types) = self.plan_with_params(&sql, declared).await?;
        let schema = if is_command(&plan) {
            empty()
        } else {
            Arc::new(plan.schema().as_arrow().clone())
        };
        Ok(Prepared {
            statement,
            plan: Some(plan),
            schema,
            param_types,
            oid_params: oid_placeholders(&sql),
            cursor: None,
        })
    }

    /// DataFusion's plan of `statement`, typed as PostgreSQL types it where clients see it:
    /// integer literals beside int4s are int4 ([`narrow_int_literals`]).
    async fn plan_statement(&self, statement: SqlStatement) -> Result<LogicalPlan> {
        let plan = self.ctx.state().statement_to_plan(statement).await?;
        narrow_int_literals(plan)
    }

    /// Plans `sql` with `$n` of the declared types, and the type of each `$n`.
    async fn plan_with_params(
        &self,
        sql: &SqlStatement,
        declared: &[Option<DataType>],
    ) -> Result<(LogicalPlan, Vec<Option<DataType>>)> {
        let mut sql = self.rewrite_for_planning(sql)?;
        cast_declared(&mut sql, declared)?;
        let plan = self.plan_statement(sql).await?;
        let types = plan.get_parameter_types()?;
        let mut param_types = vec![None; types.len()];
        for (name, data_type) in types {
            let index = name
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1));
            if let Some(slot) = index.and_then(|i| param_types.get_mut(i)) {
                *slot = data_type;
            }
        }
        for (slot, declared) in param_types.iter_mut().zip(declared) {
            if slot.is_none() {
                slot.clone_from(declared);
            }
        }
        if param_types.iter().any(Option::is_none) {
            let casts = placeholder_casts(&plan);
            for (i, slot) in param_types.iter_mut().enumerate() {
                if slot.is_none() {
                    *slot = casts.get(&format!("${}", i + 1)).cloned();
                }
            }
        }
        Ok((plan, param_types))
    }

    /// Runs a prepared statement with `$n` bound to `params[n - 1]`.
    pub async fn execute_prepared(
        &self,
        prepared: &Prepared,
        params: Vec<ScalarValue>,
    ) -> Result<Output> {
        let Some(plan) = &prepared.plan else {
            return self.execute(&prepared.statement).await;
        };
        let plan = if params.is_empty() {
            plan.clone()
        } else {
            plan.clone().replace_params_with_values(&ParamValues::List(
                params.into_iter().map(Into::into).collect(),
            ))?
        };
        match &prepared.cursor {
            Some((name, hold)) => self.declare_cursor(name, *hold, plan).await,
            None => self.run_plan(plan).await,
        }
    }

    /// `FETCH ALL FROM name`, prepared: what the extended protocol's portal of the cursor
    /// `name` runs (clients describe a declared cursor as a portal of that name).
    pub fn cursor_portal(&self, name: &str) -> Result<Prepared> {
        let schema = self.cursors.schema(name)?;
        let quoted = name.replace('"', "\"\"");
        let mut statements = self.parse(&format!("FETCH ALL FROM \"{quoted}\""))?;
        let statement = statements
            .pop()
            .ok_or_else(|| DataFusionError::Internal("FETCH did not parse".into()))?;
        Ok(Prepared::unplanned(statement, schema))
    }

    /// DECLARE, FETCH or CLOSE.
    async fn run_cursor(&self, statement: CursorStatement) -> Result<Output> {
        match statement {
            CursorStatement::Declare { name, hold, query } => {
                let query = self.rewrite_for_planning(&query)?;
                let plan = self.plan_statement(query).await?;
                self.declare_cursor(&name, hold, plan).await
            }
            CursorStatement::Fetch { name, count } => {
                Ok(Output::Fetch(self.cursors.fetch(&name, count).await?))
            }
            CursorStatement::Close(Some(name)) => {
                self.cursors.close(&name)?;
                Ok(Output::Command("CLOSE CURSOR".into()))
            }
            CursorStatement::Close(None) => {
                self.cursors.close_all()?;
                Ok(Output::Command("CLOSE CURSOR ALL".into()))
            }
        }
    }

    async fn declare_cursor(&self, name: &str, hold: bool, plan: LogicalPlan) -> Result<Output> {
        match self.run_plan(plan).await? {
            Output::Rows(rows) => {
                self.cursors.declare(name, rows, hold)?;
                Ok(Output::Command("DECLARE CURSOR".into()))
            }
            _ => plan_err!("DECLARE CURSOR: the query returns no rows"),
        }
    }

    /// Runs a plan: light ones here, the others on the plan runtime in a slot of the
    /// server's admission control ([`crate::pools`]).
    async fn run_plan(&self, plan: LogicalPlan) -> Result<Output> {
        if let Some(roots) = &self.roots {
            check_file_access(&plan, roots)?;
        }
        self.progress.reset();
        let tag = command_tag(&plan);
        let dml = match &plan {
            LogicalPlan::Dml(dml) => Some(dml.op.to_string().to_ascii_uppercase()),
            _ => None,
        };
        let admit = (!plans::is_light(&plan)).then(|| self.admit());
        let timeout = self.statement_timeout()?;
        if dml.is_some() || tag.is_some() {
            // DDL and DML run to their end here (CREATE TABLE AS and INSERT run a query).
            let ctx = self.ctx.clone();
            let work = async move { ctx.execute_logical_plan(plan).await?.collect().await };
            let batches = match admit {
                None => work.await?,
                Some(admit) => {
                    let work = plans::run(work, Some(admit));
                    self.canceller.interruptible(work, timeout).await?
                }
            };
            return Ok(Output::Command(command_output(dml, tag, batches)));
        }
        let frame = self.ctx.execute_logical_plan(plan).await?;
        let rows = match admit {
            None => frame.execute_stream().await?,
            Some(admit) => {
                let context = Arc::new(frame.task_ctx());
                let plan = async move {
                    let plan = frame.create_physical_plan().await?;
                    Ok((plan.schema(), move || execute_stream(plan, context)))
                };
                let rows = plans::stream(plan, Some(admit));
                self.canceller.interruptible(rows, timeout).await?
            }
        };
        Ok(Output::Rows(self.canceller.guard(rows, timeout)))
    }

    /// A slot of admission control for a heavy plan; waiting for it is told as a NOTICE.
    fn admit(&self) -> plans::Admit {
        let progress = Arc::clone(&self.progress);
        let limit = self.admission.limit();
        plans::Admit {
            admission: Arc::clone(&self.admission),
            waiting: Box::new(move |running| {
                progress.notice(format!(
                    "waiting to run: {running} of {limit} query slots are taken \
                     (max_running_queries)"
                ));
            }),
        }
    }

    fn run_command(&self, command: SessionCommand) -> Result<Output> {
        let mut vars = self
            .vars
            .lock()
            .map_err(|_| DataFusionError::Internal("session settings lock poisoned".into()))?;
        Ok(match command {
            SessionCommand::Set(name, value) => {
                if name == "statement_timeout" {
                    parse_timeout(&value)?;
                }
                vars.insert(name, value);
                Output::Command("SET".into())
            }
            SessionCommand::MemoryLimit(limit) => {
                let bytes = limit
                    .as_deref()
                    .map(crate::config::parse_bytes)
                    .transpose()?;
                let state = self.ctx.state_ref();
                let mut state = state.write();
                let runtime = self.memory.runtime(state.runtime_env(), bytes)?;
                *state = with_runtime(&state, runtime);
                Output::Command("SET".into())
            }
            SessionCommand::Show(name) => {
                let value = vars
                    .get(&name)
                    .cloned()
                    .or_else(|| self.engine_setting(&name));
                let value = value.ok_or_else(|| {
                    DataFusionError::Configuration(format!(
                        "unrecognized configuration parameter \"{name}\""
                    ))
                })?;
                let schema = show_schema(&name);
                let column = Arc::new(StringArray::from(vec![value]));
                rows(RecordBatch::try_new(schema, vec![column])?)?
            }
            SessionCommand::ShowAll => {
                let names = StringArray::from_iter_values(vars.keys());
                let values = StringArray::from_iter_values(vars.values());
                let batch = RecordBatch::try_new(
                    show_all_schema(),
                    vec![Arc::new(names), Arc::new(values)],
                )?;
                rows(batch)?
            }
            SessionCommand::ShowModels => rows(self.models_batch()?)?,
            SessionCommand::Begin => Output::TransactionStart("BEGIN".into()),
            SessionCommand::Commit => {
                self.cursors.end_transaction()?;
                Output::TransactionEnd("COMMIT".into())
            }
            SessionCommand::Rollback => {
                self.cursors.end_transaction()?;
                Output::TransactionEnd("ROLLBACK".into())
            }
            SessionCommand::Tag(tag) => Output::Command(tag.into()),
        })
    }
}

/// The command tag of a DDL or DML statement that ran: `INSERT 0 n`, `UPDATE n`, ..., or the
/// DDL's own tag.
fn command_output(dml: Option<String>, tag: Option<String>, batches: Vec<RecordBatch>) -> String {
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

impl Session {
    /// A `mediasql.*` setting's value (DataFusion's SHOW knows only its own).
    /// `statement` with its `current_setting`/`set_config` calls bound to this session, and
    /// what DataFusion lacks rewritten (LIKE escapes, `generate_subscripts`,
    /// `_pg_expandarray`, `(expr).field`).
    fn rewrite_for_planning(&self, statement: &SqlStatement) -> Result<SqlStatement> {
        let mut statement = statement.clone();
        let mut vars = self
            .vars
            .lock()
            .map_err(|_| DataFusionError::Internal("session settings lock poisoned".into()))?;
        let mut settings = SessionSettings {
            vars: &mut vars,
            session: self,
        };
        bind_settings(&mut statement, &mut settings)?;
        crate::pgcompat::show_all_settings::rewrite(&mut statement, &settings);
        crate::pgcompat::column_names::rewrite(&mut statement);
        crate::pgcompat::rewrite_unsupported(&mut statement);
        Ok(statement)
    }

    fn engine_setting(&self, name: &str) -> Option<String> {
        let key = name.strip_prefix("mediasql.")?;
        let state = self.ctx.state();
        let options = MediasqlOptions::from_config(state.config_options());
        let entry = options
            .entries()
            .into_iter()
            .find(|e| e.key == key || e.key == name)?;
        Some(entry.value.unwrap_or_default())
    }

    /// `SHOW MODELS`: every registered model, its main file, that file's pinned sha256 and
    /// whether it is loaded.
    fn models_batch(&self) -> Result<RecordBatch> {
        let entries = self.models.entries();
        let entries = entries.as_slice();
        let file = |e: &mediasql_udfs::models::ModelEntry| e.file("model").ok().cloned();
        let names = StringArray::from_iter_values(entries.iter().map(|e| e.name.as_str()));
        let kinds = StringArray::from_iter_values(entries.iter().map(|e| e.kind.as_str()));
        let files: StringArray = entries.iter().map(|e| file(e).map(|f| f.path)).collect();
        let hashes: StringArray = entries.iter().map(|e| file(e).map(|f| f.sha256)).collect();
        let loaded =
            BooleanArray::from_iter(entries.iter().map(|e| Some(self.models.is_loaded(&e.name))));
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
}

fn show_models_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, true),
        Field::new("sha256", DataType::Utf8, true),
        Field::new("loaded", DataType::Boolean, false),
    ]))
}

fn rows(batch: RecordBatch) -> Result<Output> {
    let schema = batch.schema();
    Ok(Output::Rows(Box::pin(MemoryStream::try_new(
        vec![batch],
        schema,
        None,
    )?)))
}

fn show_schema(name: &str) -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, false)]))
}

fn show_all_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("setting", DataType::Utf8, false),
    ]))
}

/// The settings drivers read at connect time, with PostgreSQL-compatible values.
fn default_settings() -> BTreeMap<String, String> {
    [
        ("application_name", ""),
        ("client_encoding", "UTF8"),
        ("client_min_messages", "notice"),
        ("datestyle", "ISO, MDY"),
        ("default_table_access_method", "heap"),
        ("default_transaction_isolation", "read committed"),
        ("default_transaction_read_only", "off"),
        ("extra_float_digits", "1"),
        ("integer_datetimes", "on"),
        ("intervalstyle", "postgres"),
        ("is_superuser", "off"),
        ("lc_collate", "C"),
        ("lc_ctype", "C"),
        ("max_function_args", "100"),
        ("max_identifier_length", "63"),
        ("max_index_keys", "32"),
        ("search_path", "\"$user\", public"),
        ("server_encoding", "UTF8"),
        ("server_version", crate::server::startup::SERVER_VERSION),
        ("server_version_num", "160006"),
        ("standard_conforming_strings", "on"),
        ("statement_timeout", "0"),
        ("timezone", "UTC"),
        ("transaction_isolation", "read committed"),
        ("transaction_read_only", "off"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Recognises the statements a session answers itself. `SET`/`SHOW` of `datafusion.*`
/// settings go to DataFusion.
fn session_command(statement: &SqlStatement) -> Option<SessionCommand> {
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
                "transaction isolation level" => {
                    Some(SessionCommand::Show("transaction_isolation".into()))
                }
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
fn is_command(plan: &LogicalPlan) -> bool {
    command_tag(plan).is_some() || matches!(plan, LogicalPlan::Dml(_))
}

/// The completion tag of a plan that runs as a command, or None for a query.
fn command_tag(plan: &LogicalPlan) -> Option<String> {
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

/// The session's variables, then its engine settings (`mediasql.*`).
struct SessionSettings<'a> {
    vars: &'a mut BTreeMap<String, String>,
    session: &'a Session,
}

impl Settings for SessionSettings<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .cloned()
            .or_else(|| self.session.engine_setting(name))
    }

    fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }

    fn all(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
