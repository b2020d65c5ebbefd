//! The web console: `mediasql serve --console 127.0.0.1:8080` (on by default in `mediasql
//! demo`). One page: type SQL, see results as a table in which images show as thumbnails,
//! audio as a player, PDFs as their first page's text and vectors abbreviated; the catalog
//! (tables, functions with their docs, models) in a side panel; a running query shows its
//! model progress and can be cancelled.
//!
//! It has no authentication yet, so it listens on loopback addresses only. Each browser tab
//! is one session (its id is made by the page), with its own settings, like a connection.
//! A result is held whole to be rendered, and is cut at [`MAX_ROWS`] rows.

mod render;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::engine::Engine;
use crate::session::{Output, Session};

/// Rows a result shows at most.
pub const MAX_ROWS: usize = 500;

const PAGE: &str = include_str!("page.html");

/// The console's state: the engine and each tab's session.
#[derive(Clone)]
struct Console {
    engine: Engine,
    sessions: Arc<Mutex<HashMap<String, Arc<Session>>>>,
}

impl Console {
    /// The session of tab `id`, made on first use.
    fn session(&self, id: &str) -> Result<Arc<Session>> {
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| DataFusionError::Internal("console sessions lock poisoned".into()))?;
        let session = sessions
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(self.engine.session()));
        Ok(Arc::clone(session))
    }
}

/// Checks that `addr` is a loopback address: the console has no authentication yet.
pub fn check_loopback(addr: &SocketAddr) -> Result<()> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    Err(DataFusionError::Configuration(format!(
        "the console has no authentication yet: it listens on loopback only, not {addr}"
    )))
}

/// Serves the console on `listener` until the process ends.
pub async fn serve(listener: TcpListener, engine: Engine) -> Result<()> {
    let console = Console {
        engine,
        sessions: Arc::default(),
    };
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/api/query", post(query))
        .route("/api/cancel", post(cancel))
        .route("/api/progress", get(progress))
        .route("/api/catalog", get(catalog))
        .with_state(console);
    axum::serve(listener, app)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))
}

#[derive(Deserialize)]
struct QueryRequest {
    session: String,
    sql: String,
}

#[derive(Deserialize)]
struct SessionRequest {
    session: String,
}

/// Runs `sql` (one or more statements); the last statement's rows, rendered.
async fn query(State(console): State<Console>, Json(request): Json<QueryRequest>) -> Response {
    let started = Instant::now();
    let result = match console.session(&request.session) {
        Ok(session) => run(&session, &request.sql).await,
        Err(e) => Err(e),
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(mut body) => {
            body["elapsed_ms"] = json!(elapsed_ms);
            Json(body).into_response()
        }
        Err(e) => Json(json!({
            "error": crate::server::sqlstate::message(&e),
            "sqlstate": crate::server::sqlstate::sqlstate(&e),
            "elapsed_ms": elapsed_ms,
        }))
        .into_response(),
    }
}

async fn run(session: &Session, sql: &str) -> Result<Value> {
    let mut last = json!({"columns": [], "rows": [], "tag": ""});
    for statement in session.parse(sql)? {
        last = match session.execute(&statement).await? {
            Output::Rows(mut rows) | Output::CopyOut(mut rows, _) | Output::Fetch(mut rows) => {
                let schema = rows.schema();
                let mut table = render::Table::new(&schema);
                while let Some(batch) = rows.next().await {
                    if !table.add(&batch?)? {
                        break;
                    }
                }
                table.into_json()
            }
            Output::Command(tag) | Output::TransactionStart(tag) | Output::TransactionEnd(tag) => {
                json!({"columns": [], "rows": [], "tag": tag})
            }
        };
    }
    Ok(last)
}

async fn cancel(State(console): State<Console>, Json(request): Json<SessionRequest>) -> Response {
    match console.session(&request.session) {
        Ok(session) => {
            session.cancel();
            Json(json!({"cancelled": true})).into_response()
        }
        Err(e) => Json(json!({"error": e.to_string()})).into_response(),
    }
}

async fn progress(
    State(console): State<Console>,
    Query(request): Query<SessionRequest>,
) -> Response {
    match console.session(&request.session) {
        Ok(session) => {
            let (done, listed) = session.progress().snapshot();
            Json(json!({"done": done, "listed": listed})).into_response()
        }
        Err(e) => Json(json!({"error": e.to_string()})).into_response(),
    }
}

/// Tables with their columns, functions with their docs, and models.
async fn catalog(State(console): State<Console>) -> Response {
    match catalog_json(&console.engine).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => Json(json!({"error": e.to_string()})).into_response(),
    }
}

async fn catalog_json(engine: &Engine) -> Result<Value> {
    let session = engine.session();
    let columns = rows_of(
        &session,
        "SELECT table_name, column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    .await?;
    let mut tables: Vec<Value> = Vec::new();
    for row in columns {
        let [table, column, data_type] = row.as_slice() else {
            continue;
        };
        if tables.last().is_none_or(|t| t["name"] != json!(table)) {
            tables.push(json!({"name": table, "columns": []}));
        }
        if let Some(Value::Array(cols)) = tables.last_mut().map(|t| &mut t["columns"]) {
            cols.push(json!({"name": column, "type": data_type}));
        }
    }
    let mut functions: Vec<&ScalarUDF> = engine.media_functions().iter().collect();
    functions.sort_by_key(|f| f.name());
    let functions: Vec<Value> = functions
        .into_iter()
        .filter_map(|f| {
            let doc = mediasql_udfs::reference::documentation(f)?;
            Some(json!({
                "name": f.name(),
                "syntax": doc.syntax_example,
                "description": doc.description,
            }))
        })
        .collect();
    let models = rows_of(&session, "SHOW MODELS").await?;
    let models: Vec<Value> = models
        .into_iter()
        .map(|row| json!({"name": row.first(), "kind": row.get(1)}))
        .collect();
    Ok(json!({"tables": tables, "functions": functions, "models": models}))
}

/// The rows of `sql` as text.
async fn rows_of(session: &Session, sql: &str) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for output in session.execute_sql(sql).await? {
        if let Output::Rows(mut rows) = output {
            while let Some(batch) = rows.next().await {
                out.extend(render::text_rows(&batch?)?);
            }
        }
    }
    Ok(out)
}
