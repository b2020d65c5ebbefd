//! `video_frames(location [, fps] [, max_side] [, on_error])` and `video_keyframes(location
//! [, max_side] [, on_error])`: the frames of the videos at a location as rows
//! `(path, frame, timestamp_s, is_keyframe, image)`.
//!
//! ```sql
//! SELECT path, d['label'], count(*)
//! FROM (SELECT path, unnest(detect_objects(image)) AS d FROM video_frames('clips/', 1, 416))
//! GROUP BY 1, 2;
//! ```
//!
//! [`VideoFramesExec`] sits on the media table's scan of the location's videos (`path`,
//! `content`) and decodes each file with [`FrameReader`], a batch of frames per job on the
//! CPU pool. Local files are opened in place (the scan reads `path` only); files of other
//! stores come as the scan's `content`.
//! - **Ordering**: files in the scan's order, frames in presentation order within a file.
//! - **Partitioning**: the scan's; each partition decodes its own files.
//! - **Memory**: one batch of frames (up to [`BATCH_BYTES`] of pixels or [`BATCH_ROWS`] rows)
//!   per partition, and FFmpeg's read buffers; for object stores also the compressed bytes of
//!   the scan's current batch of files; never a whole decoded video. Frames are scaled down
//!   in the decoder with `max_side`.
//! - **Errors**: a file that is not a video, or is damaged, yields the frames before the
//!   damage, then fails the query naming the file; with `on_error => 'null'` it ends with
//!   one row whose frame columns are NULL instead, and the other files go on.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionImpl, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, ScalarValue, exec_err, internal_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
};
use futures::StreamExt;
use image::DynamicImage;
use mediasql_udfs::image::{image_type, to_array};
use mediasql_udfs::io::StoreRegistry;
use mediasql_udfs::on_error::OnError;
use mediasql_udfs::video::decode::{FrameOptions, FrameReader, VideoFrame};

use super::col;
use super::factory::media_table;
use super::location::local_path;
use super::read_media::string_arg;
use crate::pools;

/// Pixels a batch of frames holds at most (a 1080p frame is 6 MiB).
pub const BATCH_BYTES: usize = 8 << 20;
/// Frames a batch holds at most.
pub const BATCH_ROWS: usize = 64;

/// The `video_frames` (every frame, or sampled) and `video_keyframes` table functions.
#[derive(Debug)]
pub struct VideoFrames {
    stores: Arc<StoreRegistry>,
    keyframes_only: bool,
}

impl VideoFrames {
    pub fn new(stores: Arc<StoreRegistry>, keyframes_only: bool) -> Self {
        Self {
            stores,
            keyframes_only,
        }
    }

    fn name(&self) -> &'static str {
        if self.keyframes_only {
            "video_keyframes"
        } else {
            "video_frames"
        }
    }

    fn usage(&self) -> &'static str {
        if self.keyframes_only {
            "(location [, max_side] [, on_error])"
        } else {
            "(location [, fps] [, max_side] [, on_error])"
        }
    }
}

/// A constant number argument (NULL for none).
fn number_arg(function: &str, name: &str, expr: &Expr) -> Result<Option<f64>> {
    let Expr::Literal(value, _) = expr else {
        return plan_err!("{function}: {name} must be a constant number, got {expr}");
    };
    if value.is_null() {
        return Ok(None);
    }
    match value.cast_to(&DataType::Float64)? {
        ScalarValue::Float64(Some(v)) if v > 0.0 && v.is_finite() => Ok(Some(v)),
        _ => plan_err!("{function}: {name} must be a positive number, got {value}"),
    }
}

impl TableFunctionImpl for VideoFrames {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let name = self.name();
        let numbers = if self.keyframes_only { 1 } else { 2 };
        let (Some(location), true) = (args.first(), args.len() <= 2 + numbers) else {
            return plan_err!(
                "{name} expects {}, got {} arguments",
                self.usage(),
                args.len()
            );
        };
        let location = string_arg(location, "location")?;
        let mut options = FrameOptions {
            keyframes_only: self.keyframes_only,
            ..FrameOptions::default()
        };
        let mut on_error = OnError::Raise;
        for (i, arg) in args.iter().enumerate().skip(1) {
            match (i, self.keyframes_only) {
                (1, false) => options.fps = number_arg(name, "fps", arg)?,
                (1, true) | (2, false) => {
                    options.max_side = number_arg(name, "max_side", arg)?.map(|v| v as u32);
                }
                _ => on_error = OnError::parse_str(name, &string_arg(arg, "on_error")?)?,
            }
        }
        let kind = std::collections::HashMap::from([("kind".to_string(), "video".to_string())]);
        let table = media_table(&location, &kind, &self.stores)?;
        Ok(Arc::new(VideoFramesTable {
            name,
            local: table.location().is_local(),
            table: Arc::new(table),
            options,
            on_error,
        }))
    }
}

/// The frames of a location's videos, as a table.
#[derive(Debug)]
struct VideoFramesTable {
    name: &'static str,
    table: Arc<dyn TableProvider>,
    /// Local files are opened by path, not read by the scan.
    local: bool,
    options: FrameOptions,
    on_error: OnError,
}

fn frames_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("frame", DataType::Int64, true),
        Field::new("timestamp_s", DataType::Float64, true),
        Field::new("is_keyframe", DataType::Boolean, true),
        Field::new("image", image_type(), true),
    ]))
}

#[async_trait]
impl TableProvider for VideoFramesTable {
    fn schema(&self) -> SchemaRef {
        frames_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let files = if self.local {
            vec![col::PATH]
        } else {
            vec![col::PATH, col::CONTENT]
        };
        let input = self.table.scan(state, Some(&files), &[], None).await?;
        let exec: Arc<dyn ExecutionPlan> = Arc::new(VideoFramesExec::new(
            self.name,
            input,
            self.options,
            self.on_error,
        ));
        match projection {
            Some(columns) => project(exec, columns),
            None => Ok(exec),
        }
    }
}

/// `exec` with only `columns` (frames are decoded whatever is projected).
fn project(exec: Arc<dyn ExecutionPlan>, columns: &[usize]) -> Result<Arc<dyn ExecutionPlan>> {
    use datafusion::physical_plan::projection::ProjectionExec;
    let schema = exec.schema();
    let exprs: Vec<(Arc<dyn PhysicalExpr>, String)> = columns
        .iter()
        .map(|&i| {
            let name = schema.field(i).name().clone();
            let column: Arc<dyn PhysicalExpr> = Arc::new(
                datafusion::physical_expr::expressions::Column::new(&name, i),
            );
            (column, name)
        })
        .collect();
    Ok(Arc::new(ProjectionExec::try_new(exprs, exec)?))
}

/// Decodes the videos its input lists (see the module docs).
#[derive(Debug)]
pub struct VideoFramesExec {
    name: &'static str,
    input: Arc<dyn ExecutionPlan>,
    options: FrameOptions,
    on_error: OnError,
    properties: Arc<PlanProperties>,
}

impl VideoFramesExec {
    fn new(
        name: &'static str,
        input: Arc<dyn ExecutionPlan>,
        options: FrameOptions,
        on_error: OnError,
    ) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(frames_schema()),
            input.output_partitioning().clone(),
            input.pipeline_behavior(),
            input.boundedness(),
        );
        Self {
            name,
            input,
            options,
            on_error,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for VideoFramesExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let show = |v: Option<f64>| v.map_or("all".to_string(), |v| v.to_string());
        write!(
            f,
            "VideoFramesExec: function={}, fps={}, max_side={}, keyframes_only={}",
            self.name,
            show(self.options.fps),
            show(self.options.max_side.map(f64::from)),
            self.options.keyframes_only
        )
    }
}

impl ExecutionPlan for VideoFramesExec {
    fn name(&self) -> &str {
        "VideoFramesExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return internal_err!("VideoFramesExec has one child, got {}", children.len());
        }
        Ok(Arc::new(Self::new(
            self.name,
            children.swap_remove(0),
            self.options,
            self.on_error,
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let files = self.input.execute(partition, context)?;
        let state = Decoding {
            name: self.name,
            files,
            queue: VecDeque::new(),
            current: None,
            options: self.options,
            on_error: self.on_error,
            done: false,
        };
        let stream = futures::stream::unfold(state, |mut state| async move {
            let next = state.next_batch().await.transpose()?;
            if next.is_err() {
                state.done = true;
            }
            Some((next, state))
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            frames_schema(),
            stream,
        )))
    }
}

/// A video being decoded.
struct OpenVideo {
    path: String,
    reader: FrameReader,
}

/// A file waiting to be decoded (its bytes, or None for a local file opened in place), being
/// decoded, or damaged after the frames already sent.
enum Video {
    Waiting {
        path: String,
        bytes: Option<Vec<u8>>,
    },
    Open(Box<OpenVideo>),
    Failed {
        path: String,
        error: String,
    },
}

/// One partition's decoding state.
struct Decoding {
    name: &'static str,
    files: SendableRecordBatchStream,
    queue: VecDeque<Video>,
    current: Option<Video>,
    options: FrameOptions,
    on_error: OnError,
    done: bool,
}

impl Decoding {
    /// The next batch of frames; None at the end.
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(video) = self.current.take() {
                let (name, options, on_error) = (self.name, self.options, self.on_error);
                let (video, batch) = pools::cpu()
                    .run(move |_stop| Ok(decode_batch(name, video, options, on_error)))
                    .await?;
                self.current = video;
                let batch = batch?;
                if batch.num_rows() > 0 {
                    return Ok(Some(batch));
                }
                continue;
            }
            if let Some(video) = self.queue.pop_front() {
                self.current = Some(video);
                continue;
            }
            match self.files.next().await {
                Some(files) => self.queue.extend(waiting_videos(&files?)?),
                None => return Ok(None),
            }
        }
    }
}

/// The files of a scan batch (`path`, and `content` unless the files are local), to decode.
fn waiting_videos(batch: &RecordBatch) -> Result<Vec<Video>> {
    let paths = batch.column(0).as_string::<i32>();
    let contents = (batch.num_columns() > 1).then(|| batch.column(1).as_binary::<i32>());
    Ok((0..batch.num_rows())
        .map(|row| Video::Waiting {
            path: paths.value(row).to_string(),
            bytes: contents.map(|c| {
                if c.is_null(row) {
                    Vec::new()
                } else {
                    c.value(row).to_vec()
                }
            }),
        })
        .collect())
}

/// Opens a waiting video: in place when local, else from its bytes.
fn open(path: &str, bytes: Option<&[u8]>, options: FrameOptions) -> Result<FrameReader, String> {
    match bytes {
        Some(bytes) => FrameReader::from_bytes(bytes, options),
        None => FrameReader::open(local_path(path), options),
    }
}

/// Decodes the next batch of `video`'s frames; gives back the video when it has more.
fn decode_batch(
    name: &str,
    video: Video,
    options: FrameOptions,
    on_error: OnError,
) -> (Option<Video>, Result<RecordBatch>) {
    let mut video = match video {
        Video::Open(video) => video,
        Video::Waiting { path, bytes } => match open(&path, bytes.as_deref(), options) {
            Ok(reader) => Box::new(OpenVideo { path, reader }),
            Err(e) => return (None, failed(name, &path, &e, Vec::new(), on_error)),
        },
        Video::Failed { path, error } => return (None, exec_err!("{name}: {path}: {error}")),
    };
    let mut frames = Vec::new();
    let mut bytes = 0;
    let mut pull = video.reader.frames();
    while frames.len() < BATCH_ROWS && bytes < BATCH_BYTES {
        match pull.next_frame() {
            Ok(Some(frame)) => {
                bytes += frame.image.as_raw().len();
                frames.push(frame);
            }
            Ok(None) => return (None, frames_batch(&video.path, frames, false)),
            // The frames before the damage go out first; the error comes with the next call.
            Err(e) if on_error == OnError::Raise && !frames.is_empty() => {
                let last = frames.last().map_or(0, |f| f.index);
                let failed = Video::Failed {
                    path: video.path.clone(),
                    error: format!("{e} (after frame {last})"),
                };
                return (Some(failed), frames_batch(&video.path, frames, false));
            }
            Err(e) => return (None, failed(name, &video.path, &e, frames, on_error)),
        }
    }
    let batch = frames_batch(&video.path, frames, false);
    (Some(Video::Open(video)), batch)
}

/// The frames before a failure, then the failure: an error naming the file, or with
/// `on_error => 'null'` a last row whose frame columns are NULL.
fn failed(
    name: &str,
    path: &str,
    error: &str,
    frames: Vec<VideoFrame>,
    on_error: OnError,
) -> Result<RecordBatch> {
    match on_error {
        OnError::Null => frames_batch(path, frames, true),
        OnError::Raise => exec_err!("{name}: {path}: {error}"),
    }
}

/// Rows of `frames` of the video at `path`, plus a row of NULL frame columns when
/// `null_row`.
fn frames_batch(path: &str, frames: Vec<VideoFrame>, null_row: bool) -> Result<RecordBatch> {
    let rows = frames.len() + usize::from(null_row);
    let mut index = Vec::with_capacity(rows);
    let mut time = Vec::with_capacity(rows);
    let mut key = Vec::with_capacity(rows);
    let mut images = Vec::with_capacity(rows);
    for frame in frames {
        index.push(Some(frame.index));
        time.push(Some(frame.timestamp_s));
        key.push(Some(frame.is_keyframe));
        images.push(Some(DynamicImage::ImageRgb8(frame.image)));
    }
    if null_row {
        index.push(None);
        time.push(None);
        key.push(None);
        images.push(None);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![path; rows])),
        Arc::new(Int64Array::from(index)),
        Arc::new(Float64Array::from(time)),
        Arc::new(BooleanArray::from(key)),
        to_array(&images)?,
    ];
    Ok(RecordBatch::try_new(frames_schema(), columns)?)
}
