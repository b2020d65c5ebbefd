#!/usr/bin/env bash
# Runs every test: installs the test tools, the models and ONNX Runtime, then unit tests, the SQL logic tests (in-process
# and over the Postgres wire, against local S3 and HTTP servers) and the client tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-build-deps.sh
bash scripts/install-test-tools.sh
bash scripts/install-models.sh
cargo test --workspace
