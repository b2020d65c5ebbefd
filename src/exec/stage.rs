//! The stage of an [`InferenceExec`](super::InferenceExec) chunk before the model: the
//! inference cache's lookup (when on), the reads of bodies a deferred scan left unread
//! (only for rows the cache misses), and the prepare stage (decode, resize, tokenize,
//! resample) of the rows the model must see. CPU work runs on the CPU pool; the stage as a
//! whole goes ahead while the model runs earlier chunks.

use std::sync::Arc;

use datafusion::common::runtime::SpawnedTask;
use datafusion::common::{DataFusionError, Result};
use datafusion::physical_plan::metrics::Time;
use futures::future::BoxFuture;
use mediasql_udfs::models::{ModelPass, Prepared};

use super::cached::{Looked, OperatorCache, read_bodies};
use super::rebatch::Chunk;
use crate::cache::body_source::BodySource;
use crate::pools::{self, PoolFuture};

/// A chunk after its stage.
pub(super) struct Staged {
    /// What the inference cache had of its rows.
    pub(super) looked: Option<Looked>,
    /// The rows for the model, prepared; None when every row was found in the cache.
    pub(super) todo: Option<(Chunk, Prepared)>,
}

/// Starts the stage of `chunk`. Per-row errors name the row's file.
pub(super) fn stage(
    pass: &Arc<dyn ModelPass>,
    chunk: &Chunk,
    time: &Time,
    cache: Option<&Arc<OperatorCache>>,
    source: Option<&Arc<dyn BodySource>>,
) -> BoxFuture<'static, Result<Staged>> {
    let prepare = Preparer {
        pass: Arc::clone(pass),
        time: time.clone(),
    };
    let chunk = chunk.clone();
    match (cache.cloned(), source.cloned()) {
        (None, None) => {
            // Submitted now: the pool prepares it while the driver awaits earlier chunks.
            let prepared = prepare.submit(chunk);
            Box::pin(async move {
                Ok(Staged {
                    looked: None,
                    todo: Some(prepared.await?),
                })
            })
        }
        (cache, source) => {
            // A task of its own, so that it goes ahead while the model runs; aborted when
            // the stage is dropped (the query stopped).
            let task = SpawnedTask::spawn(staged(prepare, chunk, cache, source));
            Box::pin(async move {
                task.join()
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)))?
            })
        }
    }
}

/// The stage with a cache, or over deferred content.
async fn staged(
    prepare: Preparer,
    chunk: Chunk,
    cache: Option<Arc<OperatorCache>>,
    source: Option<Arc<dyn BodySource>>,
) -> Result<Staged> {
    let Some(cache) = cache else {
        // Deferred content with the cache off: every unread body is read.
        let rows = match &source {
            Some(source) => read_bodies(source, chunk).await?.0,
            None => chunk,
        };
        return Ok(Staged {
            looked: None,
            todo: Some(prepare.submit(rows).await?),
        });
    };
    // Hashing, lookup and preparing the misses in one job, unless a miss has a body to read.
    let looking = Arc::clone(&cache);
    let preparing = prepare.clone();
    let (mut looked, pending) = pools::cpu()
        .run(move |_| {
            let (looked, rows) = looking.look_up(&chunk)?;
            let pending = match rows {
                Some(rows) if has_unread(&rows) => Pending::Unread(rows),
                Some(rows) => Pending::Prepared(preparing.now(rows)?),
                None => Pending::Nothing,
            };
            Ok((looked, pending))
        })
        .await?;
    let todo = match pending {
        Pending::Nothing => None,
        Pending::Prepared(todo) => Some(todo),
        Pending::Unread(rows) => {
            let rows = cache.read_bodies(rows, &mut looked).await?;
            Some(prepare.submit(rows).await?)
        }
    };
    Ok(Staged {
        looked: Some(looked),
        todo,
    })
}

/// The rows to compute after a lookup.
enum Pending {
    Nothing,
    Prepared((Chunk, Prepared)),
    /// Some have bodies a deferred scan left unread.
    Unread(Chunk),
}

/// Whether some of `rows` have no body yet (NULL content of a deferred scan).
fn has_unread(rows: &Chunk) -> bool {
    rows.paths.is_some() && rows.argument.null_count() > 0
}

/// The prepare stage of a pass, timed.
#[derive(Clone)]
struct Preparer {
    pass: Arc<dyn ModelPass>,
    time: Time,
}

impl Preparer {
    /// Prepares `rows` here and now (on a CPU pool thread).
    fn now(&self, rows: Chunk) -> Result<(Chunk, Prepared)> {
        let _timer = self.time.timer();
        let prepared = self
            .pass
            .prepare(&rows.argument, 0)
            .map_err(|e| rows.name_file(e))?;
        Ok((rows, prepared))
    }

    /// Prepares `rows` on the CPU pool.
    fn submit(&self, rows: Chunk) -> PoolFuture<(Chunk, Prepared)> {
        let preparer = self.clone();
        pools::cpu().run(move |_| preparer.now(rows))
    }
}
