#!/usr/bin/env bash
# Installs what the test suite needs beyond Rust: a Python virtualenv with moto's S3-compatible
# server (the S3 tests start it on loopback). Idempotent; used by the README, CI and Docker.
set -euo pipefail
VENV="${MEDIASQL_TOOLS_VENV:-$HOME/.cache/mediasql/venv}"
if [ ! -x "$VENV/bin/moto_server" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.2.5"
fi
echo "test tools ready: $VENV/bin/moto_server"
