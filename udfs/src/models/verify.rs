//! sha256 pinning: a model file is used only if its hash is the manifest's.

use std::io::Read;
use std::path::Path;

use datafusion::common::{DataFusionError, Result};
use sha2::{Digest, Sha256};

/// Checks `path` against `expected` (hex); the error names the model, the file and the fix.
pub fn check_sha256(model: &str, path: &Path, expected: &str) -> Result<()> {
    let actual = sha256_hex(model, path)?;
    if actual != expected {
        return Err(DataFusionError::Execution(format!(
            "model {model}: {} has sha256 {actual}, but the manifest pins {expected}: refusing it",
            path.display()
        )));
    }
    Ok(())
}

/// The sha256 of the file at `path`, as hex; `model` names it in errors.
pub fn sha256_hex(model: &str, path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| {
        DataFusionError::Execution(format!(
            "model {model}: cannot open {}: {e} (run scripts/install-models.sh)",
            path.display()
        ))
    })?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(|e| {
            DataFusionError::Execution(format!("model {model}: reading {}: {e}", path.display()))
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_with_another_hash() {
        let path = std::env::temp_dir().join(format!("mediasql-sha-{}", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        check_sha256("m", &path, abc).unwrap();
        let err = check_sha256("m", &path, &"0".repeat(64))
            .unwrap_err()
            .to_string();
        assert!(err.contains("refusing it"), "{err}");
        std::fs::remove_file(path).unwrap();
    }
}
