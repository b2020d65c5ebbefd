//! Where models run. CPU is the default and needs nothing else; builds with the `cuda`
//! feature can run ONNX models on ONNX Runtime's CUDA execution provider (the library from
//! the `onnxruntime-gpu` wheel: `MEDIASQL_CUDA=1 scripts/install-models.sh`) and whisper on
//! whisper.cpp's CUDA build. One server runs its models on one device, chosen at start.

use std::fmt;

use datafusion::common::{DataFusionError, Result, plan_err};

/// A device models run on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Device {
    #[default]
    Cpu,
    Cuda,
}

impl Device {
    /// The devices this build supports.
    pub fn available() -> &'static [Device] {
        if cfg!(feature = "onnx-cuda") {
            &[Device::Cpu, Device::Cuda]
        } else {
            &[Device::Cpu]
        }
    }

    /// Parses `cpu` or `cuda` (any case), refusing a device this build lacks.
    pub fn parse(name: &str) -> Result<Self> {
        let device = match name.trim().to_ascii_lowercase().as_str() {
            "cpu" => Device::Cpu,
            "cuda" | "gpu" => Device::Cuda,
            other => return plan_err!("unknown device '{other}' (devices: cpu, cuda)"),
        };
        if !Self::available().contains(&device) {
            return Err(device.unavailable());
        }
        Ok(device)
    }

    /// The error for a device this build lacks.
    pub(crate) fn unavailable(self) -> DataFusionError {
        DataFusionError::Plan(format!(
            "device '{self}' is not available in this build (build with --features cuda)"
        ))
    }

    /// How many times a model's CPU batch size a batch on this device holds: a GPU wants
    /// batches big enough to fill it.
    pub fn batch_scale(self) -> usize {
        match self {
            Device::Cpu => 1,
            Device::Cuda => 8,
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_refuses_what_the_build_lacks() {
        assert_eq!(Device::parse(" CPU ").unwrap(), Device::Cpu);
        assert!(
            Device::parse("tpu")
                .unwrap_err()
                .to_string()
                .contains("unknown device 'tpu'")
        );
        let cuda = Device::parse("cuda");
        assert_eq!(cuda.is_ok(), cfg!(feature = "onnx-cuda"));
    }
}
