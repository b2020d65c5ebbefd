//! A client session: runs statements along the one way of [`crate::statement`], answers
//! session commands (SET, SHOW, BEGIN/COMMIT/ROLLBACK) itself, keeps cursors, and runs
//! plans on the plan runtime in a slot of the server's admission control.
//!
//! The wire server and the in-process test runner both go through here, so the SQL a
//! client sends behaves the same either way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as SqlStatement;
use mediasql_udfs::io::MediaRoots;
use mediasql_udfs::models::ModelRegistry;

use crate::cache::InferenceCache;
use crate::copy_out::copy_out_query;
use crate::cursor::{CursorStatement, Cursors, cursor_statement};
use crate::exec::MediasqlOptions;
use crate::exec::progress::Progress;
use crate::file_access::check_file_access;
use crate::interrupt::{Canceller, parse_timeout};
use crate::memory::{SessionMemory, with_runtime};
use crate::pgcompat::int_literals::narrow_int_literals;
use crate::pgcompat::settings::unrecognized;
use crate::pools::admission::Admission;
use crate::pools::plans;
use crate::statement::commands::{
    SessionCommand, cache_batch, command_output, command_tag, models_batch, rows, session_command,
    show_all_schema, show_schema,
};
use crate::statement::diagnose::{check_create, check_set, plan_error};
use crate::statement::model_ddl::ModelStatement;
use crate::statement::parse::Parser;
use crate::statement::rewrites::{self, Context, Rewrites};
use crate::statement::settings::{SessionSettings, default_settings, engine_setting};
pub use crate::statement::{Output, Prepared, Statement};

mod prepare;

/// One connection's session.
pub struct Session {
    ctx: SessionContext,
    parser: Arc<Parser>,
    rewrites: Arc<Rewrites>,
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
        parser: Arc<Parser>,
        rewrites: Arc<Rewrites>,
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
            rewrites,
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

    /// Parses one or more `;`-separated statements ([`crate::statement::parse`]).
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        self.parser.parse(sql)
    }

    /// The inference cache this session's model calls use, if any.
    fn inference_cache(&self) -> Option<Arc<InferenceCache>> {
        self.ctx
            .state_ref()
            .read()
            .config()
            .get_extension::<InferenceCache>()
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
            Statement::Model(ModelStatement::ClearCache { model }) => {
                let removed = match self.inference_cache() {
                    Some(cache) => cache.clear(model.as_deref()).await?,
                    None => 0,
                };
                log::info!("CLEAR CACHE removed {removed} results");
                return Ok(Output::Command("CLEAR CACHE".into()));
            }
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
            let plan = self.plan(query, &[]).await?.0;
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
        let plan = self.plan(statement.clone(), &[]).await?.0;
        self.run_plan(plan).await
    }

    /// `statement` rewritten and planned, typed as PostgreSQL types it where clients see it
    /// (integer literals beside int4s are int4: [`narrow_int_literals`]), with its plan errors
    /// typed ([`plan_error`]); and the statement as planned.
    async fn plan(
        &self,
        mut statement: SqlStatement,
        declared: &[Option<DataType>],
    ) -> Result<(LogicalPlan, SqlStatement)> {
        let verbose = matches!(&statement, SqlStatement::Explain(e) if e.options.verbose);
        let fired = self.rewrite(&mut statement, declared, verbose)?;
        let state = self.ctx.state();
        let plan = match state.statement_to_plan(statement.clone()).await {
            Ok(plan) => narrow_int_literals(plan)?,
            Err(e) => return Err(plan_error(&state, &statement, e)),
        };
        check_create(&state, &plan)?;
        check_set(&state, &plan)?;
        let plan = match plan {
            LogicalPlan::Explain(mut explain) if verbose => {
                explain
                    .stringified_plans
                    .insert(0, rewrites::explained(&fired));
                LogicalPlan::Explain(explain)
            }
            plan => plan,
        };
        Ok((plan, statement))
    }

    /// `statement` with the rewrites of [`Rewrites`] applied for this session; with `trace`,
    /// the names of those that changed it.
    fn rewrite(
        &self,
        statement: &mut SqlStatement,
        declared: &[Option<DataType>],
        trace: bool,
    ) -> Result<Vec<&'static str>> {
        let mut vars = self
            .vars
            .lock()
            .map_err(|_| DataFusionError::Internal("session settings lock poisoned".into()))?;
        let mut settings = SessionSettings {
            vars: &mut vars,
            ctx: &self.ctx,
        };
        let mut context = Context {
            settings: &mut settings,
            declared,
        };
        self.rewrites.apply(statement, &mut context, trace)
    }

    /// DECLARE, FETCH or CLOSE.
    async fn run_cursor(&self, statement: CursorStatement) -> Result<Output> {
        match statement {
            CursorStatement::Declare { name, hold, query } => {
                let plan = self.plan(query, &[]).await?.0;
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
                    .or_else(|| engine_setting(&self.ctx, &name));
                let value = value.ok_or_else(|| unrecognized(&name))?;
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
            SessionCommand::ShowModels => rows(models_batch(&self.models)?)?,
            SessionCommand::ShowCache => {
                let lines = match self.inference_cache() {
                    Some(cache) => cache.lines(),
                    None => Vec::new(),
                };
                rows(cache_batch(&lines)?)?
            }
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
