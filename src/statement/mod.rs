//! One way through the house: how a query string becomes rows.
//!
//! ```text
//! text ──parse──────► Statement        one tokenization, one parse; our model DDL from the
//!                                      same tokens                        (parse, model_ddl)
//!      ──classify───► a command the session answers (SET, SHOW, BEGIN...), a cursor
//!                     statement, COPY ... TO STDOUT, or SQL for DataFusion     (commands)
//!      ──rewrite────► the ordered syntax-tree rewrites, one list            (rewrites)
//!      ──plan───────► LogicalPlan: DataFusion's planner, PostgreSQL's integer typing, plan
//!                     errors typed from the catalog                         (diagnose)
//!      ──run────────► Output: light plans where they are, the rest on the plan runtime
//!                     in an admission slot                           (crate::session)
//! ```
//!
//! The wire server (simple and extended protocol), the console and the in-process test runner
//! all enter through [`crate::session::Session`], so a statement behaves the same whichever
//! way it comes.

pub mod commands;
pub mod diagnose;
pub mod model_ddl;
pub mod parse;
pub mod rewrites;
pub mod settings;

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::Statement as SqlStatement;

use crate::copy_out::CopyFormat;
use model_ddl::ModelStatement;

/// One parsed statement: SQL for DataFusion (or the session), or a model statement.
#[derive(Debug, Clone)]
pub enum Statement {
    Sql(SqlStatement),
    Model(ModelStatement),
}

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
    pub fn unplanned(statement: Statement, schema: SchemaRef) -> Self {
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
