//! How our tables, plan nodes and functions travel between the server, the scheduler and the
//! executors: datafusion-proto codecs that encode ours and hand everything else to
//! Ballista's own codecs (which encode its shuffle nodes).
//!
//! Our payloads start with a 0 byte, which no protobuf message of Ballista's can start with
//! (field number 0 is invalid), then JSON ([`super::nodes`]). Functions travel by name and
//! are looked up in the receiving process; the sourced form of a function (it takes the
//! rows' paths last, `mediasql_udfs::sourced`) carries one marker byte so that the receiver
//! builds that form and not the plain one.

use std::fmt;
use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use mediasql_udfs::sourced::is_sourced;

use super::nodes::{self, CodecContext};

/// The first byte of our payloads.
const OURS: u8 = 0;

fn encode_udf(udf: &ScalarUDF, buf: &mut Vec<u8>) {
    if is_sourced(udf) {
        buf.extend_from_slice(nodes::SOURCED_MARK);
    }
}

/// Splits off our marker: Some(our payload), or None for Ballista's.
fn ours(buf: &[u8]) -> Option<&[u8]> {
    match buf.split_first() {
        Some((&OURS, rest)) => Some(rest),
        _ => None,
    }
}

/// The logical codec: media tables (the server sends logical plans to the scheduler).
pub struct MediaLogicalCodec {
    context: CodecContext,
    ballista: BallistaLogicalExtensionCodec,
}

impl MediaLogicalCodec {
    pub fn new(context: CodecContext) -> Self {
        Self {
            context,
            ballista: BallistaLogicalExtensionCodec::default(),
        }
    }
}

impl fmt::Debug for MediaLogicalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MediaLogicalCodec")
    }
}

impl LogicalExtensionCodec for MediaLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match ours(buf) {
            Some(payload) => nodes::decode_table(payload, &self.context),
            None => self
                .ballista
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match nodes::encode_table(node.as_ref())? {
            Some(payload) => {
                buf.push(OURS);
                buf.extend(payload);
                Ok(())
            }
            None => self
                .ballista
                .try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.context.decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf);
        Ok(())
    }
}

/// The physical codec: our plan nodes (the scheduler sends each task's plan to an executor).
pub struct MediaPhysicalCodec {
    context: CodecContext,
    ballista: BallistaPhysicalExtensionCodec,
}

impl MediaPhysicalCodec {
    pub fn new(context: CodecContext) -> Self {
        Self {
            context,
            ballista: BallistaPhysicalExtensionCodec::default(),
        }
    }
}

impl fmt::Debug for MediaPhysicalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MediaPhysicalCodec")
    }
}

impl PhysicalExtensionCodec for MediaPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match ours(buf) {
            Some(payload) => {
                let decoder = nodes::ExprDecoder {
                    codec: self,
                    converter: proto_converter,
                    ctx,
                };
                nodes::decode_exec(payload, inputs, &self.context, &decoder)
            }
            None => self.ballista.try_decode(buf, inputs, ctx, proto_converter),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let encoder = nodes::ExprEncoder {
            codec: self,
            converter: proto_converter,
        };
        match nodes::encode_exec(node.as_ref(), &encoder)? {
            Some(payload) => {
                buf.push(OURS);
                buf.extend(payload);
                Ok(())
            }
            None => self.ballista.try_encode(node, buf, proto_converter),
        }
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.context.decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf);
        Ok(())
    }
}
