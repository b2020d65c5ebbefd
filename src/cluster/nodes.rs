//! Our tables and plan nodes as data ([`super::codec`] frames them): what each needs to be
//! rebuilt in another process, with that process's stores, models and functions.
//!
//! - `MediaTable`: its location (as written, with its kind and store settings) and scan
//!   options; the scheduler lists it again when it plans.
//! - `MediaScanExec`: the same, with its projection and what the listing was; its input, the
//!   file list, travels as an ordinary in-memory source (narrowed to the task's partitions
//!   by the scheduler).
//! - `InferenceExec`: its calls (physical expressions, as datafusion-proto encodes them; the
//!   model functions in them by name), their column names and its batching; the receiver
//!   finds the model pass again as `LiftModelCalls` did.
//! - `PassExec`: what it does to batches.
//! - `video_frames(...)` / `video_keyframes(...)`: the call's constant arguments (the table
//!   is made again by calling the function); `VideoFramesExec`: its frame options.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::TableProvider;
use datafusion::common::{
    DataFusionError, Result, ScalarValue, internal_datafusion_err, plan_datafusion_err, plan_err,
};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::PhysicalExprNode;
use prost::Message;

/// The function-definition bytes of a sourced function (see `super::codec`).
pub const SOURCED_MARK: &[u8] = b"sourced";
use serde::{Deserialize, Serialize};

use mediasql_udfs::io::StoreRegistry;
use mediasql_udfs::on_error::OnError;
use mediasql_udfs::sourced::sourced_form;
use mediasql_udfs::video::decode::FrameOptions;

use crate::catalog::scan::{Listed, MediaScanExec};
use crate::catalog::video_frames::{VideoFrames, VideoFramesExec, frames_call};
use crate::catalog::{KindFilter, MediaLocation, MediaTable, ScanOptions};
use crate::exec::{Batching, InferenceExec, Pass, PassExec, inference_exec};

/// What the codecs need to rebuild our nodes: the stores to reopen locations, our functions
/// to resolve their sourced forms.
#[derive(Clone)]
pub struct CodecContext {
    pub stores: Arc<StoreRegistry>,
    /// Every function the server plans with, by name.
    pub functions: Arc<HashMap<String, Arc<ScalarUDF>>>,
}

impl CodecContext {
    pub fn decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        let udf = self
            .functions
            .get(name)
            .ok_or_else(|| plan_datafusion_err!("function {name} is not in this mediasql build"))?;
        match buf == SOURCED_MARK {
            true => Ok(Arc::new(sourced_form(udf))),
            false => Ok(Arc::clone(udf)),
        }
    }
}

/// A location as written, to be parsed again by the receiver.
#[derive(Debug, Serialize, Deserialize)]
struct Location {
    location: String,
    kind: String,
    store_options: HashMap<String, String>,
}

impl Location {
    fn of(location: &MediaLocation) -> Self {
        Self {
            location: location.original.clone(),
            kind: location.kind().name().to_string(),
            store_options: location.store_options().clone(),
        }
    }

    fn open(&self, context: &CodecContext) -> Result<MediaLocation> {
        let kind = KindFilter::parse(&self.kind)?;
        MediaLocation::parse(&self.location, kind, &context.stores, &self.store_options)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Scan {
    batch_bytes: usize,
    max_in_flight: usize,
}

impl From<ScanOptions> for Scan {
    fn from(o: ScanOptions) -> Self {
        Self {
            batch_bytes: o.batch_bytes,
            max_in_flight: o.max_in_flight,
        }
    }
}

impl From<&Scan> for ScanOptions {
    fn from(s: &Scan) -> Self {
        Self {
            batch_bytes: s.batch_bytes,
            max_in_flight: s.max_in_flight,
        }
    }
}

/// A constant argument of a table function call.
#[derive(Debug, Serialize, Deserialize)]
enum Arg {
    Text(String),
    Number(f64),
    Null,
}

impl Arg {
    fn of(expr: &Expr) -> Result<Self> {
        let Expr::Literal(value, _) = expr else {
            return plan_err!("a table function argument that is not a constant: {expr}");
        };
        if value.is_null() {
            return Ok(Self::Null);
        }
        if let Some(text) = value.try_as_str().flatten() {
            return Ok(Self::Text(text.to_string()));
        }
        match value.cast_to(&DataType::Float64)? {
            ScalarValue::Float64(Some(v)) => Ok(Self::Number(v)),
            other => plan_err!("a table function argument of an unexpected type: {other}"),
        }
    }

    fn expr(&self) -> Expr {
        let value = match self {
            Self::Text(text) => ScalarValue::Utf8(Some(text.clone())),
            Self::Number(v) => ScalarValue::Float64(Some(*v)),
            Self::Null => ScalarValue::Null,
        };
        Expr::Literal(value, None)
    }
}

#[derive(Debug, Serialize, Deserialize)]
enum Table {
    Media {
        location: Location,
        scan: Scan,
    },
    /// `video_frames(...)` / `video_keyframes(...)`, made again from the call.
    Frames {
        keyframes_only: bool,
        args: Vec<Arg>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
enum Node {
    MediaScan {
        location: Location,
        scan: Scan,
        projection: Vec<usize>,
        file_count: usize,
        filters: Vec<String>,
        limit: Option<usize>,
    },
    Inference {
        /// (base64 of the call's `PhysicalExprNode`, its column name).
        calls: Vec<(String, String)>,
        batch_size: usize,
        max_in_flight: usize,
        device: String,
    },
    Pass {
        ungathered: bool,
    },
    Frames {
        keyframes_only: bool,
        fps: Option<f64>,
        max_side: Option<u32>,
        on_error_null: bool,
    },
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| DataFusionError::External(Box::new(e)))
}

fn from_json<'a, T: Deserialize<'a>>(what: &str, buf: &'a [u8]) -> Result<T> {
    serde_json::from_slice(buf).map_err(|e| internal_datafusion_err!("decoding {what}: {e}"))
}

/// Our table as data; None when it is not one of ours.
pub fn encode_table(table: &dyn TableProvider) -> Result<Option<Vec<u8>>> {
    let spec = if let Some(media) = table.downcast_ref::<MediaTable>() {
        Table::Media {
            location: Location::of(media.location()),
            scan: media.options().into(),
        }
    } else if let Some((keyframes_only, args)) = frames_call(table) {
        Table::Frames {
            keyframes_only,
            args: args.iter().map(Arg::of).collect::<Result<_>>()?,
        }
    } else {
        return Ok(None);
    };
    to_json(&spec).map(Some)
}

pub fn decode_table(buf: &[u8], context: &CodecContext) -> Result<Arc<dyn TableProvider>> {
    match from_json("a media table", buf)? {
        Table::Media { location, scan } => Ok(Arc::new(MediaTable::new(
            location.open(context)?,
            (&scan).into(),
        ))),
        Table::Frames {
            keyframes_only,
            args,
        } => {
            let args: Vec<Expr> = args.iter().map(Arg::expr).collect();
            VideoFrames::new(Arc::clone(&context.stores), keyframes_only).table(&args)
        }
    }
}

/// Encodes physical expressions with the codec and converter of the plan being encoded.
pub struct ExprEncoder<'a> {
    pub codec: &'a dyn PhysicalExtensionCodec,
    pub converter: &'a dyn PhysicalProtoConverterExtension,
}

impl ExprEncoder<'_> {
    fn encode(&self, expr: &Arc<dyn PhysicalExpr>) -> Result<String> {
        let node = self.converter.physical_expr_to_proto(expr, self.codec)?;
        Ok(STANDARD.encode(node.encode_to_vec()))
    }
}

/// Decodes physical expressions against an input's schema.
pub struct ExprDecoder<'a> {
    pub codec: &'a dyn PhysicalExtensionCodec,
    pub converter: &'a dyn PhysicalProtoConverterExtension,
    pub ctx: &'a TaskContext,
}

impl ExprDecoder<'_> {
    fn decode(
        &self,
        encoded: &str,
        input: &Arc<dyn ExecutionPlan>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|e| internal_datafusion_err!("decoding an expression: {e}"))?;
        let node = PhysicalExprNode::decode(bytes.as_slice())
            .map_err(|e| internal_datafusion_err!("decoding an expression: {e}"))?;
        let ctx = PhysicalPlanDecodeContext::new(self.ctx, self.codec);
        self.converter
            .proto_to_physical_expr(&node, input.schema().as_ref(), &ctx)
    }
}

/// Our plan node as data; None when it is not one of ours.
pub fn encode_exec(node: &dyn ExecutionPlan, exprs: &ExprEncoder) -> Result<Option<Vec<u8>>> {
    let spec = if let Some(scan) = node.downcast_ref::<MediaScanExec>() {
        let Listed {
            file_count,
            filters,
            limit,
        } = scan.listed();
        Node::MediaScan {
            location: Location::of(scan.location()),
            scan: scan.options().into(),
            projection: scan.projection().to_vec(),
            file_count,
            filters,
            limit,
        }
    } else if let Some(inference) = node.downcast_ref::<InferenceExec>() {
        let calls = inference
            .calls()
            .iter()
            .map(|c| Ok((exprs.encode(&c.expr)?, c.field.name().clone())))
            .collect::<Result<_>>()?;
        let Batching {
            batch_size,
            max_in_flight,
            device,
        } = inference.batching().clone();
        Node::Inference {
            calls,
            batch_size,
            max_in_flight,
            device,
        }
    } else if let Some(pass) = node.downcast_ref::<PassExec>() {
        Node::Pass {
            ungathered: pass.pass() == Pass::Ungathered,
        }
    } else if let Some(frames) = node.downcast_ref::<VideoFramesExec>() {
        let (_, options, on_error) = frames.parts();
        Node::Frames {
            keyframes_only: options.keyframes_only,
            fps: options.fps,
            max_side: options.max_side,
            on_error_null: on_error == OnError::Null,
        }
    } else {
        return Ok(None);
    };
    to_json(&spec).map(Some)
}

pub fn decode_exec(
    buf: &[u8],
    inputs: &[Arc<dyn ExecutionPlan>],
    context: &CodecContext,
    exprs: &ExprDecoder,
) -> Result<Arc<dyn ExecutionPlan>> {
    let [input] = inputs else {
        return plan_err!("a mediasql plan node with {} inputs", inputs.len());
    };
    let input = Arc::clone(input);
    Ok(match from_json("a mediasql plan node", buf)? {
        Node::MediaScan {
            location,
            scan,
            projection,
            file_count,
            filters,
            limit,
        } => {
            let listed = Listed {
                file_count,
                filters,
                limit,
            };
            let location = Arc::new(location.open(context)?);
            Arc::new(MediaScanExec::try_new(
                location,
                input,
                listed,
                projection,
                (&scan).into(),
            )?)
        }
        Node::Inference {
            calls,
            batch_size,
            max_in_flight,
            device,
        } => {
            let calls = calls
                .iter()
                .map(|(expr, name)| Ok((exprs.decode(expr, &input)?, name.clone())))
                .collect::<Result<Vec<_>>>()?;
            let batching = Batching {
                batch_size,
                max_in_flight,
                device,
            };
            Arc::new(inference_exec(input, calls, batching)?)
        }
        Node::Pass { ungathered } => {
            let pass = match ungathered {
                true => Pass::Ungathered,
                false => Pass::YieldEvery,
            };
            Arc::new(PassExec::new(input, pass))
        }
        Node::Frames {
            keyframes_only,
            fps,
            max_side,
            on_error_null,
        } => {
            let options = FrameOptions {
                fps,
                max_side,
                keyframes_only,
            };
            let on_error = match on_error_null {
                true => OnError::Null,
                false => OnError::Raise,
            };
            Arc::new(VideoFramesExec::from_parts(
                input,
                keyframes_only,
                options,
                on_error,
            ))
        }
    })
}
