//! pgwire handlers: simple and extended query protocol over [`Session`]s.
//!
//! Each connection gets its own [`Session`] (kept in pgwire's per-connection extensions);
//! results stream batch by batch from DataFusion to the socket, never collected whole.

use std::collections::HashMap;
use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use bytes::{BufMut, Bytes, BytesMut};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Schema};
use futures::{Sink, StreamExt, stream};
use pgwire::api::auth::StartupHandler;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{CopyResponse, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, ConnectionManager, PgWireServerHandlers, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::copy::CopyData;
use pgwire::types::format::FormatOptions;

use super::encode::{encode_batch, pg_fields, pg_type};
use super::notice::send_rows_with_progress;
use super::params::{bind_parameters, declared_type};
use super::sqlstate::{self, error_info, pg_error};
use super::startup::{ServerOptions, Startup};
use crate::copy_out::{self, CopyFormat, CopyKind};
use crate::engine::Engine;
use crate::session::{Output, Prepared, Session};

/// All handlers of one server.
pub struct Handlers {
    service: Arc<QueryService>,
    startup: Arc<Startup>,
    cancel: Arc<Cancel>,
}

/// Each connection's session by its process id (for CancelRequests) and by its client's
/// address (for clients that go away).
#[derive(Debug, Default)]
pub struct Sessions(Mutex<HashMap<i32, (SocketAddr, Weak<Session>)>>);

impl Sessions {
    /// The session of `client`, made on its first statement.
    fn of<C: ClientInfo>(&self, engine: &Engine, client: &C) -> Arc<Session> {
        let session = client.session_extensions().get_or_insert_with(|| {
            let session = engine.session();
            if let Some(user) = client.metadata().get("user") {
                engine.admit_role(user);
                session.set_user(user);
            }
            session
        });
        if let Ok(mut sessions) = self.0.lock() {
            let (pid, _) = client.pid_and_secret_key();
            let known = sessions
                .get(&pid)
                .is_some_and(|(_, s)| std::ptr::eq(s.as_ptr(), Arc::as_ptr(&session)));
            if !known {
                sessions.retain(|_, (_, s)| s.strong_count() > 0);
                let entry = (client.socket_addr(), Arc::downgrade(&session));
                sessions.insert(pid, entry);
            }
        }
        session
    }

    fn cancel(&self, pid: i32) {
        let session = self.0.lock().ok().and_then(|s| s.get(&pid)?.1.upgrade());
        if let Some(session) = session {
            session.cancel();
        }
    }

    /// Cancels the statement of the connection from `peer` (its client went away).
    pub fn cancel_peer(&self, peer: SocketAddr) {
        let sessions: Vec<Arc<Session>> = match self.0.lock() {
            Ok(sessions) => sessions
                .values()
                .filter(|(addr, _)| *addr == peer)
                .filter_map(|(_, s)| s.upgrade())
                .collect(),
            Err(_) => return,
        };
        for session in sessions {
            session.cancel();
        }
    }
}

impl Handlers {
    /// The sessions of this server's connections.
    pub fn sessions(&self) -> Arc<Sessions> {
        Arc::clone(&self.service.sessions)
    }

    /// The startup handler (admission, authentication).
    pub fn startup(&self) -> Arc<Startup> {
        Arc::clone(&self.startup)
    }

    pub fn new(engine: Engine, options: &ServerOptions) -> datafusion::common::Result<Self> {
        let connections = Arc::new(ConnectionManager::new());
        let sessions = Arc::new(Sessions::default());
        let startup = Startup::new(
            &options.security,
            options.max_connections,
            Arc::clone(&connections),
        )?;
        Ok(Self {
            service: Arc::new(QueryService {
                parser: Arc::new(StatementParser {
                    engine: engine.clone(),
                    sessions: Arc::clone(&sessions),
                }),
                engine,
                sessions: Arc::clone(&sessions),
            }),
            startup: Arc::new(startup),
            cancel: Arc::new(Cancel {
                connections,
                sessions,
            }),
        })
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.service)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.service)
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::clone(&self.startup)
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

/// Routes CancelRequests to the connection they name: pgwire interrupts a statement still
/// being planned, the session ends the rows of one already streaming.
pub struct Cancel {
    connections: Arc<ConnectionManager>,
    sessions: Arc<Sessions>,
}

#[async_trait]
impl CancelHandler for Cancel {
    async fn on_cancel_request(&self, request: CancelRequest) {
        // pgwire checks the secret key; only a request that names a live connection with
        // its key reaches the session.
        if self
            .connections
            .cancel(request.pid, &request.secret_key)
            .await
        {
            self.sessions.cancel(request.pid);
        }
    }
}

/// The query handlers.
pub struct QueryService {
    engine: Engine,
    parser: Arc<StatementParser>,
    sessions: Arc<Sessions>,
}

/// The wire fields of a result with `schema`, formatted as `client` asked.
fn row_fields<C: ClientInfo>(
    client: &C,
    schema: &Schema,
    format: impl Fn(usize) -> FieldFormat,
) -> Arc<Vec<FieldInfo>> {
    let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
    Arc::new(pg_fields(schema, format, &options))
}

fn response<C: ClientInfo>(
    client: &C,
    output: Output,
    format: impl Fn(usize) -> FieldFormat,
) -> Response {
    match output {
        Output::Command(tag) => Response::Execution(Tag::new(&tag)),
        Output::TransactionStart(tag) => Response::TransactionStart(Tag::new(&tag)),
        Output::TransactionEnd(tag) => Response::TransactionEnd(Tag::new(&tag)),
        Output::Rows(batches) => {
            let fields = row_fields(client, &batches.schema(), format);
            let row_fields = Arc::clone(&fields);
            let rows = batches.flat_map(move |batch| {
                let encoded = batch.and_then(|b| encode_batch(&b, &row_fields));
                let rows: Vec<PgWireResult<_>> = match encoded {
                    Ok(rows) => rows.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(pg_error(&e))],
                };
                stream::iter(rows)
            });
            Response::Query(QueryResponse::new(fields, rows))
        }
        Output::CopyOut(batches, format) => copy_response(client, batches, format),
        Output::Fetch(batches) => match response(client, Output::Rows(batches), format) {
            Response::Query(mut rows) => {
                rows.command_tag = "FETCH".into();
                Response::Query(rows)
            }
            other => other,
        },
    }
}

/// The rows of a `COPY ... TO STDOUT`, one CopyData per row (the count in its tag); the
/// binary signature or CSV header goes in front of the first.
fn copy_response<C: ClientInfo>(
    client: &C,
    batches: datafusion::execution::SendableRecordBatchStream,
    format: CopyFormat,
) -> Response {
    let schema = batches.schema();
    let columns = schema.fields().len();
    let binary = format.kind == CopyKind::Binary;
    let fields = row_fields(client, &schema, |_| {
        if binary {
            FieldFormat::Binary
        } else {
            FieldFormat::Text
        }
    });
    let header = if binary {
        Some(copy_out::binary_header())
    } else if format.header {
        Some(copy_out::header_line(&schema, &format))
    } else {
        None
    };
    let header = Arc::new(Mutex::new(header));
    let first = Arc::clone(&header);
    let code = format.code();
    let encode = move |batch: &RecordBatch| -> datafusion::common::Result<Vec<Bytes>> {
        if !binary {
            return copy_out::text_lines(batch, &format);
        }
        let rows = encode_batch(batch, &fields)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut tuple = BytesMut::with_capacity(row.data.len() + 2);
                tuple.put_i16(row.field_count);
                tuple.put_slice(&row.data);
                tuple.freeze()
            })
            .collect())
    };
    let rows = batches.flat_map(move |batch| {
        let chunks: Vec<PgWireResult<CopyData>> = match batch.and_then(|b| encode(&b)) {
            Ok(lines) => lines
                .into_iter()
                .map(|line| Ok(CopyData::new(with_prefix(&first, line))))
                .collect(),
            Err(e) => vec![Err(pg_error(&e))],
        };
        stream::iter(chunks)
    });
    // No rows: the header still goes out.
    let rest = stream::once(async move { take(&header) })
        .filter_map(|h| async move { h.map(|h| Ok(CopyData::new(h))) });
    Response::CopyOut(CopyResponse::new(code, columns, rows.chain(rest)))
}

fn take(header: &Mutex<Option<Bytes>>) -> Option<Bytes> {
    header.lock().ok().and_then(|mut h| h.take())
}

/// `line` with the header in front if it has not gone out yet.
fn with_prefix(header: &Mutex<Option<Bytes>>, line: Bytes) -> Bytes {
    match take(header) {
        Some(prefix) => [prefix, line].concat().into(),
        None => line,
    }
}

#[async_trait]
impl SimpleQueryHandler for QueryService {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = self.sessions.of(&self.engine, client);
        let statements = session.parse(query).map_err(|e| pg_error(&e))?;
        if let [statement] = statements.as_slice()
            && let Some(every) = session.progress_interval()
        {
            // One statement: its rows are written here, with progress notices among them.
            return match session.execute(statement).await {
                Ok(Output::Rows(rows)) => {
                    let fields = row_fields(client, &rows.schema(), |_| FieldFormat::Text);
                    let progress = Arc::clone(session.progress());
                    Ok(vec![
                        send_rows_with_progress(client, fields, rows, &progress, every).await?,
                    ])
                }
                Ok(output) => Ok(vec![response(client, output, |_| FieldFormat::Text)]),
                Err(e) => Ok(vec![Response::Error(Box::new(error_info(&e)))]),
            };
        }
        let mut responses = Vec::with_capacity(statements.len());
        for statement in &statements {
            match session.execute(statement).await {
                Ok(output) => responses.push(response(client, output, |_| FieldFormat::Text)),
                Err(e) => {
                    // Like PostgreSQL: the failing statement ends the query string.
                    responses.push(Response::Error(Box::new(error_info(&e))));
                    break;
                }
            }
        }
        if responses.is_empty() {
            responses.push(Response::EmptyQuery);
        }
        Ok(responses)
    }
}

/// Parses and plans statements for the extended protocol.
pub struct StatementParser {
    engine: Engine,
    sessions: Arc<Sessions>,
}

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let session = self.sessions.of(&self.engine, client);
        let mut statements = session.parse(sql).map_err(|e| pg_error(&e))?;
        if statements.len() > 1 {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                sqlstate::SYNTAX_ERROR.into(),
                "cannot insert multiple commands into a prepared statement".into(),
            ))));
        }
        let Some(statement) = statements.pop() else {
            return Ok(None);
        };
        let declared: Vec<Option<DataType>> = types
            .iter()
            .map(|t| t.as_ref().and_then(declared_type))
            .collect();
        let prepared = session
            .prepare(statement, &declared)
            .await
            .map_err(|e| pg_error(&e))?;
        Ok(Some(Arc::new(prepared)))
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        Ok(stmt
            .param_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let ty = t.as_ref().map_or(Type::UNKNOWN, pg_type);
                if stmt.oid_params.contains(&(i + 1)) {
                    super::params::as_oid(ty)
                } else {
                    ty
                }
            })
            .collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        let options = Arc::new(FormatOptions::default());
        Ok(pg_fields(
            &stmt.schema,
            |i| column_format.map_or(FieldFormat::Text, |f| f.format_for(i)),
            &options,
        ))
    }
}

#[async_trait]
impl ExtendedQueryHandler for QueryService {
    type Statement = Arc<Prepared>;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.parser)
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = self.sessions.of(&self.engine, client);
        let prepared = &portal.statement.statement;
        let params = bind_parameters(portal)?;
        let output = session
            .execute_prepared(prepared, params)
            .await
            .map_err(|e| pg_error(&e))?;
        if let Some((name, _)) = &prepared.cursor {
            // Clients (psycopg) describe a declared cursor as the portal of its name.
            let fetch = session.cursor_portal(name).map_err(|e| pg_error(&e))?;
            let stored = StoredStatement::new(name.clone(), Arc::new(fetch), Vec::new());
            let portal = Portal::new_cursor(name.clone(), Arc::new(stored));
            client.portal_store().put_portal(Arc::new(portal));
        }
        let format = portal.result_column_format.clone();
        Ok(response(client, output, move |i| format.format_for(i)))
    }
}
