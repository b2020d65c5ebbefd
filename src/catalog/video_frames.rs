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
//! CPU pool ([`frame_batches`]). Local files are opened in place (the scan reads `path`
//! only); files of other stores come as the scan's `content`.
//! - **Ordering**: files in the scan's order, frames in presentation order within a file.
//! - **Partitioning**: the scan's; each partition decodes its own files.
//! - **Memory**: one batch of frames (up to [`BATCH_BYTES`] of pixels or [`BATCH_ROWS`] rows)
//!   per partition, and FFmpeg's read buffers; for object stores also the compressed bytes of
//!   the scan's current batch of files; never a whole decoded video. Frames are scaled down
//!   in the decoder with `max_side`.
//! - **Errors**: a file that is not a video, or is damaged, yields the frames before the
//!   damage, then fails the query naming the file; with `on_error => 'null'` it ends with
//!   one row whose frame columns are NULL instead, and the other files go on.
//!
//! [`FrameReader`]: mediasql_udfs::video::decode::FrameReader
//! [`BATCH_BYTES`]: super::frame_batches::BATCH_BYTES
//! [`BATCH_ROWS`]: super::frame_batches::BATCH_ROWS

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableFunctionImpl, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
};
use mediasql_udfs::io::StoreRegistry;
use mediasql_udfs::on_error::OnError;
use mediasql_udfs::video::decode::FrameOptions;

use super::factory::media_table;
use super::frame_batches::{frame_batches, frames_schema};
use super::read_media::string_arg;
use super::schema::col;

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

    /// The table of a call with `args` (constants).
    pub fn table(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
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
            args: args.to_vec(),
            name,
            local: table.location().is_local(),
            table: Arc::new(table),
            options,
            on_error,
        }))
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
        self.table(args)
    }
}

/// The function and arguments of a `video_frames` / `video_keyframes` table: whether it
/// takes keyframes only, and the call's constant arguments.
pub fn frames_call(table: &dyn TableProvider) -> Option<(bool, &[Expr])> {
    let frames = table.downcast_ref::<VideoFramesTable>()?;
    Some((frames.options.keyframes_only, &frames.args))
}

/// The frames of a location's videos, as a table.
#[derive(Debug)]
struct VideoFramesTable {
    /// The call's arguments (constants), to make the table again in another process.
    args: Vec<Expr>,
    name: &'static str,
    table: Arc<dyn TableProvider>,
    /// Local files are opened by path, not read by the scan.
    local: bool,
    options: FrameOptions,
    on_error: OnError,
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
    /// What it decodes: its function's name, the frame options, what a bad file does.
    pub fn parts(&self) -> (&'static str, FrameOptions, OnError) {
        (self.name, self.options, self.on_error)
    }

    /// The operator of `parts` over `input` (a plan received from another process).
    pub fn from_parts(
        input: Arc<dyn ExecutionPlan>,
        keyframes_only: bool,
        options: FrameOptions,
        on_error: OnError,
    ) -> Self {
        let name = match keyframes_only {
            true => "video_keyframes",
            false => "video_frames",
        };
        Self::new(name, input, options, on_error)
    }

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
        Ok(frame_batches(self.name, files, self.options, self.on_error))
    }
}
