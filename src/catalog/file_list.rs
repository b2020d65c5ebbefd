//! The files a media scan reads, as a plan of its own: an in-memory source of one row per
//! file (`path, location, size, modified, e_tag, version`), split into partitions balanced
//! by bytes. [`super::scan::MediaScanExec`] reads the files its input lists.
//!
//! Why a plan and not a field of the scan: a distributed scheduler (Ballista) hands each task
//! a slice of a stage's partitions and narrows the leaves it knows (in-memory and file
//! sources) to that slice; a leaf of our own would be read whole by every task. The listing
//! is small (about 100 bytes a file), so it travels with the task's plan.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Int64Type, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use datafusion::catalog::memory::MemorySourceConfig;
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::physical_plan::ExecutionPlan;
use object_store::ObjectMeta;
use object_store::path::Path;

use super::location::MediaFile;

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("location", DataType::Utf8, false),
        Field::new("size", DataType::Int64, false),
        Field::new(
            "modified",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("e_tag", DataType::Utf8, true),
        Field::new("version", DataType::Utf8, true),
    ]))
});

/// The schema of a file list.
pub fn file_list_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

/// `files` as an in-memory source of `parts` partitions (at least one), each a contiguous run
/// of files holding about the same number of bytes.
pub fn file_list_exec(files: &[MediaFile], parts: usize) -> Result<Arc<dyn ExecutionPlan>> {
    let partitions = split_by_bytes(files, parts.max(1))
        .into_iter()
        .map(|run| Ok(vec![file_list_batch(run)?]))
        .collect::<Result<Vec<_>>>()?;
    let exec: Arc<dyn ExecutionPlan> =
        MemorySourceConfig::try_new_exec(&partitions, file_list_schema(), None)?;
    Ok(exec)
}

/// Contiguous runs of `files`, at most `parts` of them, cut when a run reaches its share of
/// the bytes (a run holds at least one file; an empty list is one empty run).
fn split_by_bytes(files: &[MediaFile], parts: usize) -> Vec<&[MediaFile]> {
    if files.len() <= 1 || parts <= 1 {
        return vec![files];
    }
    let parts = parts.min(files.len());
    // Each file counts at least one byte, so that empty files still spread.
    let weight = |f: &MediaFile| f.meta.size.max(1);
    let total: u64 = files.iter().map(weight).sum();
    let mut runs = Vec::with_capacity(parts);
    let (mut start, mut acc) = (0, 0u64);
    for (i, file) in files.iter().enumerate() {
        acc += weight(file);
        let left_files = files.len() - i - 1;
        let left_runs = parts - runs.len() - 1;
        // Cut when this run has its share of all bytes so far, or when every file left must
        // start a run of its own.
        let share = total.saturating_mul(runs.len() as u64 + 1) / parts as u64;
        if left_runs > 0 && (acc >= share || left_files == left_runs) {
            runs.push(&files[start..=i]);
            start = i + 1;
        }
    }
    if start < files.len() {
        runs.push(&files[start..]);
    }
    runs
}

fn file_list_batch(files: &[MediaFile]) -> Result<RecordBatch> {
    let strings = |f: fn(&MediaFile) -> Option<&str>| -> ArrayRef {
        Arc::new(files.iter().map(f).collect::<StringArray>())
    };
    let sizes = files
        .iter()
        .map(|f| i64::try_from(f.meta.size).unwrap_or(i64::MAX));
    let modified = files
        .iter()
        .map(|f| f.meta.last_modified.timestamp_micros());
    Ok(RecordBatch::try_new(
        file_list_schema(),
        vec![
            strings(|f| Some(&f.path)),
            strings(|f| Some(f.meta.location.as_ref())),
            Arc::new(Int64Array::from_iter_values(sizes)),
            Arc::new(TimestampMicrosecondArray::from_iter_values(modified)),
            strings(|f| f.meta.e_tag.as_deref()),
            strings(|f| f.meta.version.as_deref()),
        ],
    )?)
}

/// The files of a batch of [`file_list_schema`].
pub fn files_of(batch: &RecordBatch) -> Result<Vec<MediaFile>> {
    let bad = |what: &str| exec_datafusion_err!("MediaScanExec: file list without {what}");
    let strings = |i: usize, what: &str| {
        batch
            .columns()
            .get(i)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| bad(what))
    };
    let (paths, locations) = (strings(0, "path")?, strings(1, "location")?);
    let (e_tags, versions) = (strings(4, "e_tag")?, strings(5, "version")?);
    let sizes = batch
        .column(2)
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| bad("size"))?;
    let modified = batch
        .column(3)
        .as_primitive_opt::<TimestampMicrosecondType>()
        .ok_or_else(|| bad("modified"))?;
    let optional = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
    (0..batch.num_rows())
        .map(|i| {
            let location = Path::parse(locations.value(i))
                .map_err(|e| exec_datafusion_err!("MediaScanExec: file list: {e}"))?;
            let last_modified = chrono::DateTime::from_timestamp_micros(modified.value(i))
                .ok_or_else(|| bad("a valid modified time"))?;
            Ok(MediaFile {
                path: paths.value(i).to_string(),
                meta: ObjectMeta {
                    location,
                    last_modified,
                    size: u64::try_from(sizes.value(i)).unwrap_or(0),
                    e_tag: optional(e_tags, i),
                    version: optional(versions, i),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64) -> MediaFile {
        MediaFile {
            path: format!("dir/{name}"),
            meta: ObjectMeta {
                location: Path::from(format!("base/{name}")),
                last_modified: chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456)
                    .unwrap(),
                size,
                e_tag: size.is_multiple_of(2).then(|| format!("etag-{name}")),
                version: None,
            },
        }
    }

    fn sizes(runs: &[&[MediaFile]]) -> Vec<Vec<u64>> {
        runs.iter()
            .map(|r| r.iter().map(|f| f.meta.size).collect())
            .collect()
    }

    #[test]
    fn runs_are_balanced_by_bytes_not_by_count() {
        let files: Vec<_> = [900, 100, 100, 100, 100, 100, 100, 100, 100, 100]
            .iter()
            .enumerate()
            .map(|(i, &s)| file(&format!("{i}.jpg"), s))
            .collect();
        assert_eq!(
            sizes(&split_by_bytes(&files, 2)),
            vec![vec![900], vec![100; 9]]
        );
    }

    #[test]
    fn every_run_holds_a_file_and_none_is_lost() {
        let files: Vec<_> = [10, 10, 1000, 10]
            .iter()
            .enumerate()
            .map(|(i, &s)| file(&format!("{i}.jpg"), s))
            .collect();
        for parts in 1..=6 {
            let runs = split_by_bytes(&files, parts);
            assert_eq!(runs.len(), parts.min(files.len()), "parts={parts}");
            assert!(runs.iter().all(|r| !r.is_empty()));
            let flat: Vec<_> = runs.concat().into_iter().map(|f| f.path).collect();
            let all: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
            assert_eq!(flat, all);
        }
        assert_eq!(split_by_bytes(&[], 4).len(), 1);
    }

    #[test]
    fn a_file_list_round_trips() {
        let files = vec![file("a b%.jpg", 12), file("c.png", 7)];
        let back = files_of(&file_list_batch(&files).unwrap()).unwrap();
        assert_eq!(back, files);
    }
}
