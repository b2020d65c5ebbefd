//! Re-batching for [`InferenceExec`](super::InferenceExec): input rows gathered across input
//! batches into chunks of exactly the model's batch size, in order; slices where a chunk lies
//! within one input batch, one copy where it spans several.

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::{concat, concat_batches};
use datafusion::common::{Result, internal_err};
use mediasql_udfs::error::with_row_path;

/// Rows of the input gathered for one model batch.
#[derive(Clone)]
pub(super) struct Chunk {
    pub(super) batch: RecordBatch,
    pub(super) argument: ArrayRef,
    pub(super) paths: Option<ArrayRef>,
}

impl Chunk {
    pub(super) fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn slice(&self, offset: usize, len: usize) -> Self {
        Self {
            batch: self.batch.slice(offset, len),
            argument: self.argument.slice(offset, len),
            paths: self.paths.as_ref().map(|p| p.slice(offset, len)),
        }
    }

    /// A per-row error with the row's file named, where the rows have files.
    pub(super) fn name_file(
        &self,
        e: datafusion::error::DataFusionError,
    ) -> datafusion::error::DataFusionError {
        match &self.paths {
            Some(paths) => with_row_path(e, paths.as_ref()),
            None => e,
        }
    }
}

/// Gathers input rows into chunks of exactly `size` rows (the last may be shorter).
pub(super) struct Rebatcher {
    pub(super) size: usize,
    pending: Vec<Chunk>,
    rows: usize,
}

impl Rebatcher {
    pub(super) fn new(size: usize) -> Self {
        Self {
            size,
            pending: Vec::new(),
            rows: 0,
        }
    }

    pub(super) fn push(&mut self, chunk: Chunk) {
        if chunk.rows() > 0 {
            self.rows += chunk.rows();
            self.pending.push(chunk);
        }
    }

    /// A full chunk, or with `flush` whatever is left; None when there is not enough.
    pub(super) fn take(&mut self, flush: bool) -> Result<Option<Chunk>> {
        if self.rows == 0 || (self.rows < self.size && !flush) {
            return Ok(None);
        }
        let wanted = self.size.min(self.rows);
        let mut parts = Vec::new();
        let mut taken = 0;
        while taken < wanted {
            let Some(first) = self.pending.first() else {
                break;
            };
            let need = wanted - taken;
            if first.rows() <= need {
                taken += first.rows();
                parts.push(self.pending.remove(0));
            } else {
                parts.push(first.slice(0, need));
                let rest = first.slice(need, first.rows() - need);
                self.pending[0] = rest;
                taken += need;
            }
        }
        self.rows -= taken;
        join(parts).map(Some)
    }
}

/// One chunk from several (a single part is kept as it is).
fn join(mut parts: Vec<Chunk>) -> Result<Chunk> {
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let Some(first) = parts.first() else {
        return internal_err!("InferenceExec: joining no rows");
    };
    let schema = first.batch.schema();
    let batches: Vec<&RecordBatch> = parts.iter().map(|p| &p.batch).collect();
    let batch = concat_batches(&schema, batches)?;
    let arguments: Vec<&dyn Array> = parts.iter().map(|p| p.argument.as_ref()).collect();
    let argument = concat(&arguments)?;
    let paths = match parts
        .iter()
        .map(|p| p.paths.as_deref())
        .collect::<Option<Vec<&dyn Array>>>()
    {
        Some(paths) => Some(concat(&paths)?),
        None => None,
    };
    Ok(Chunk {
        batch,
        argument,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int32Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn chunk(values: std::ops::Range<i32>) -> Chunk {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int32, false)]));
        let column: ArrayRef = Arc::new(Int32Array::from_iter_values(values));
        Chunk {
            batch: RecordBatch::try_new(schema, vec![Arc::clone(&column)]).unwrap(),
            argument: column,
            paths: None,
        }
    }

    fn values(chunk: &Chunk) -> Vec<i32> {
        let array = chunk
            .argument
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        array.values().to_vec()
    }

    #[test]
    fn rebatches_across_input_batches_in_order() {
        let mut rebatcher = Rebatcher::new(4);
        rebatcher.push(chunk(0..3));
        assert!(rebatcher.take(false).unwrap().is_none());
        rebatcher.push(chunk(3..4));
        rebatcher.push(chunk(4..13));
        let mut out = Vec::new();
        while let Some(c) = rebatcher.take(false).unwrap() {
            out.push(values(&c));
        }
        assert_eq!(
            out,
            vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9, 10, 11]]
        );
        let tail = rebatcher.take(true).unwrap().unwrap();
        assert_eq!(values(&tail), vec![12]);
        assert_eq!(tail.batch.num_rows(), 1);
        assert!(rebatcher.take(true).unwrap().is_none());
    }
}
