//! ONNX Runtime: one environment per process, loaded from the shared library that
//! `scripts/install-models.sh` takes from the `onnxruntime` wheel; sessions shared by all
//! queries (a session runs one call at a time, so calls are serialised per model).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use datafusion::common::{DataFusionError, Result};
use ort::environment::Environment;
use ort::ep::ExecutionProviderDispatch;
use ort::session::Session;
use ort::value::Tensor;

use super::device::Device;

static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();

/// The ONNX Runtime library: `MEDIASQL_ORT_LIB`, else the newest `libonnxruntime.so*` under
/// `<models dir>/onnxruntime/` (`onnxruntime-cuda/` for [`Device::Cuda`]: the
/// onnxruntime-gpu wheel's library with its CUDA provider).
fn library_path(models_dir: &Path, device: Device) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("MEDIASQL_ORT_LIB") {
        return Ok(PathBuf::from(path));
    }
    let dir = models_dir.join(match device {
        Device::Cpu => "onnxruntime",
        Device::Cuda => "onnxruntime-cuda",
    });
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
                })
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates.pop().ok_or_else(|| {
        DataFusionError::Execution(format!(
            "ONNX Runtime library (libonnxruntime.so) not found in {}: run scripts/install-models.sh, \
             (MEDIASQL_CUDA=1 for the GPU library), which takes it from the onnxruntime wheel \
             on PyPI, or set MEDIASQL_ORT_LIB",
            dir.display()
        ))
    })
}

/// The process's ONNX Runtime, loaded on first use from the library for `device`.
pub(crate) fn environment(models_dir: &Path, device: Device) -> Result<Environment> {
    let env = ENVIRONMENT.get_or_init(|| {
        let path = library_path(models_dir, device).map_err(|e| e.strip_backtrace())?;
        let builder = ort::init_from(&path)
            .map_err(|e| format!("loading ONNX Runtime from {}: {e}", path.display()))?;
        builder
            .with_name("mediasql")
            .build()
            .map_err(|e| format!("starting ONNX Runtime: {e}"))
    });
    env.clone().map_err(DataFusionError::Execution)
}

/// The execution providers of `device`: none beyond the CPU's for [`Device::Cpu`]; CUDA
/// for [`Device::Cuda`], failing the load when it cannot start (no silent CPU fallback: a
/// server asked to use the GPU and running on the CPU would be a surprise).
pub(crate) fn execution_providers(device: Device) -> Result<Vec<ExecutionProviderDispatch>> {
    match device {
        Device::Cpu => Ok(Vec::new()),
        #[cfg(feature = "onnx-cuda")]
        Device::Cuda => Ok(vec![ort::ep::CUDA::default().build().error_on_failure()]),
        #[cfg(not(feature = "onnx-cuda"))]
        Device::Cuda => Err(device.unavailable()),
    }
}

/// A loaded ONNX model.
pub struct OnnxSession {
    path: PathBuf,
    session: Mutex<Session>,
    /// Model calls so far (each runs one mini-batch).
    calls: AtomicU64,
}

impl std::fmt::Debug for OnnxSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxSession")
            .field("path", &self.path)
            .finish()
    }
}

/// Threads one model call may use: the machine's cores.
pub(crate) fn intra_threads() -> usize {
    crate::cores()
}

impl OnnxSession {
    /// Loads `model` (already verified) on the runtime found from `models_dir`.
    pub fn load(models_dir: &Path, model: &Path, device: Device) -> Result<Self> {
        let env = environment(models_dir, device)?;
        let err = |e: ort::Error| {
            DataFusionError::Execution(format!("loading model {}: {e}", model.display()))
        };
        let session = Session::builder(&env)
            .map_err(err)?
            .with_intra_threads(intra_threads())
            .map_err(|e| err(e.into()))?
            // Idle model threads must yield the cores to decoding, not spin on them.
            .with_intra_op_spinning(false)
            .map_err(|e| err(e.into()))?
            // No memory pattern: with one, the arena is sized for every intermediate tensor
            // of a batch at once (EfficientNet-Lite0, 16 images: 157 MiB of runs' RSS
            // against 126 without, at the same speed; YOLOX-nano, 8 frames: 108 against 77).
            .with_memory_pattern(false)
            .map_err(|e| err(e.into()))?
            .with_execution_providers(execution_providers(device)?)
            .map_err(|e| err(e.into()))?
            .commit_from_file(model)
            .map_err(err)?;
        Ok(Self {
            path: model.to_path_buf(),
            session: Mutex::new(session),
            calls: AtomicU64::new(0),
        })
    }

    /// How many times the model has run.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The names of the model's inputs and outputs, in the model's order.
    pub fn io_names(&self) -> Result<(Vec<String>, Vec<String>)> {
        let session = self
            .session
            .lock()
            .map_err(|_| DataFusionError::Internal("model session lock poisoned".into()))?;
        let names =
            |outlets: &[ort::value::Outlet]| outlets.iter().map(|o| o.name().to_string()).collect();
        Ok((names(session.inputs()), names(session.outputs())))
    }

    /// Runs the model on one float tensor `input` of `shape`; returns the requested outputs
    /// as (shape, values), in the order asked.
    pub fn run_f32(
        &self,
        input_name: &str,
        shape: Vec<i64>,
        input: Vec<f32>,
        outputs: &[&str],
    ) -> Result<Vec<(Vec<i64>, Vec<f32>)>> {
        let err = |e: ort::Error| {
            DataFusionError::Execution(format!("running model {}: {e}", self.path.display()))
        };
        let tensor = Tensor::from_array((shape, input)).map_err(err)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| DataFusionError::Internal("model session lock poisoned".into()))?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        let results = session
            .run(ort::inputs![input_name => tensor])
            .map_err(err)?;
        outputs
            .iter()
            .map(|name| {
                let value = results.get(*name).ok_or_else(|| {
                    DataFusionError::Execution(format!(
                        "model {} has no output '{name}'",
                        self.path.display()
                    ))
                })?;
                let (shape, data) = value.try_extract_tensor::<f32>().map_err(err)?;
                Ok((shape.to_vec(), data.to_vec()))
            })
            .collect()
    }
}
