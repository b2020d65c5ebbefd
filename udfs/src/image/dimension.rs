//! What `image_width` and `image_height` share: one side of an image, read from the struct,
//! or from encoded bytes' header alone (nothing is decoded).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, UInt32Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt32Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::{coerce_image_arg, is_image_type};
use crate::error::row_error;
use crate::on_error::OnError;

/// Which side a dimension function reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Width,
    Height,
}

/// `image_width` or `image_height`; equal when name and side are.
#[derive(Debug)]
pub struct Dimension {
    name: &'static str,
    side: Side,
    signature: Signature,
    documentation: fn() -> &'static Documentation,
}

impl PartialEq for Dimension {
    fn eq(&self, other: &Self) -> bool {
        (self.name, self.side) == (other.name, other.side)
    }
}

impl Eq for Dimension {}

impl std::hash::Hash for Dimension {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.name, self.side).hash(state);
    }
}

impl Dimension {
    pub fn new(
        name: &'static str,
        side: Side,
        documentation: fn() -> &'static Documentation,
    ) -> Self {
        let names = vec!["image".to_string(), "on_error".to_string()];
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(names)
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self {
            name,
            side,
            signature,
            documentation,
        }
    }

    fn pick(&self, width: u32, height: u32) -> u32 {
        match self.side {
            Side::Width => width,
            Side::Height => height,
        }
    }
}

impl ScalarUDFImpl for Dimension {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [image] => Ok(vec![coerce_image_arg(self.name, image)?]),
            [image, _] => Ok(vec![coerce_image_arg(self.name, image)?, DataType::Utf8]),
            _ => plan_err!("{} expects (image [, on_error])", self.name),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(self.name, args.args.get(1))?;
        let Some(images) = args.args.first() else {
            return plan_err!("{} expects an image", self.name);
        };
        let images = images.to_array(args.number_rows)?;
        if is_image_type(images.data_type()) {
            let s = images.as_struct();
            let side = s.column(self.pick(0, 1) as usize);
            let values = side.as_primitive::<UInt32Type>().values().clone();
            let array = UInt32Array::new(values, s.nulls().cloned());
            return Ok(ColumnarValue::Array(Arc::new(array)));
        }
        let bytes = cast(&images, &DataType::Binary)?;
        let bytes = bytes.as_binary::<i32>();
        let mut out = Vec::with_capacity(bytes.len());
        for (row, value) in bytes.iter().enumerate() {
            let Some(value) = value else {
                out.push(None);
                continue;
            };
            match (imagesize::blob_size(value), on_error) {
                (Ok(size), _) => out.push(Some(self.pick(size.width as u32, size.height as u32))),
                (Err(_), OnError::Null) => out.push(None),
                (Err(e), OnError::Raise) => {
                    return Err(row_error(
                        self.name,
                        row,
                        format!("unreadable image header: {e}"),
                    ));
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(UInt32Array::from(out))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some((self.documentation)())
    }
}
