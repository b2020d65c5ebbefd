#!/usr/bin/env bash
# Installs what the build needs (cmake, clang, libclang-dev), the models and ONNX Runtime,
# then builds mediasql and serves the bundled demo media on 127.0.0.1:5433 (tables images, audio,
# pdfs, videos, media). Connect with: psql -h 127.0.0.1 -p 5433
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-build-deps.sh
bash scripts/install-models.sh
exec cargo run -- demo "$@"
