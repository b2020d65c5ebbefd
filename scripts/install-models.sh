#!/usr/bin/env bash
# Installs the default models and the ONNX Runtime library into the models directory
# ($MEDIASQL_MODELS, default ~/.cache/mediasql/models), checking every sha256 against the
# manifest (udfs/src/models/manifest.toml). Idempotent; used by the README, CI and Docker.
#
# Model files come from ../shared/models (the verified copies next to the checkout) or from
# $MEDIASQL_MODELS_SOURCE. ONNX Runtime comes from the `onnxruntime` wheel on PyPI; with
# MEDIASQL_CUDA=1 also from the `onnxruntime-gpu` wheel (its library and CUDA provider, into
# onnxruntime-cuda/, for `mediasql serve --device cuda`; the CUDA 13 runtime it links
# (cudart, cublas, curand) and cuDNN 9 come from the system or NVIDIA's wheels, found
# through LD_LIBRARY_PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS="${MEDIASQL_MODELS:-$HOME/.cache/mediasql/models}"
SOURCE="${MEDIASQL_MODELS_SOURCE:-../shared/models}"
ORT_VERSION="1.32.0"
ORT_GPU_VERSION="1.31.1"
mkdir -p "$MODELS"

python3 - "$MODELS" "$SOURCE" <<'PY'
import hashlib, os, shutil, sys, tomllib
models, source = sys.argv[1], sys.argv[2]
with open("udfs/src/models/manifest.toml", "rb") as f:
    manifest = tomllib.load(f)

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

missing = []
for model in manifest["model"]:
    for file in model["files"]:
        dest = os.path.join(models, file["path"])
        if os.path.exists(dest) and sha256(dest) == file["sha256"]:
            continue
        src = os.path.join(source, file["path"])
        if not os.path.exists(src):
            missing.append(f"{model['name']}: {file['path']} (not in {source})")
            continue
        got = sha256(src)
        if got != file["sha256"]:
            sys.exit(f"{src}: sha256 {got} differs from the manifest's {file['sha256']}")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
        print(f"installed {model['name']}: {file['path']}")
if missing:
    sys.exit("models not found:\n  " + "\n  ".join(missing) +
             "\nset MEDIASQL_MODELS_SOURCE to a folder holding the verified model files")
PY

# install_ort PACKAGE VERSION DIR: the wheel's shared libraries into DIR.
install_ort() {
  local package="$1" version="$2" dir="$3"
  if [ -f "$dir/libonnxruntime.so.$version" ]; then
    return
  fi
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$package==$version"
  mkdir -p "$dir"
  python3 - "$tmp" "$dir" <<'PY'
import glob, os, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "onnxruntime*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/lib") and ".so" in base:
            target = os.path.join(out, base)
            with z.open(name) as src, open(target, "wb") as dst:
                dst.write(src.read())
            print("installed", target)
PY
  rm -rf "$tmp"
}

ORT_LIB="$MODELS/onnxruntime/libonnxruntime.so.$ORT_VERSION"
install_ort onnxruntime "$ORT_VERSION" "$MODELS/onnxruntime"
if [ "${MEDIASQL_CUDA:-0}" = "1" ]; then
  # The newest onnxruntime-gpu on PyPI (its C API is what ort's api-31 feature needs).
  install_ort onnxruntime-gpu "$ORT_GPU_VERSION" "$MODELS/onnxruntime-cuda"
fi
echo "models ready in $MODELS (ONNX Runtime: $ORT_LIB)"
