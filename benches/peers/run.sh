#!/usr/bin/env bash
# The peers benchmark: mediasql, Daft, Ray Data, plain Python and the model alone on the same
# four workloads (benches/peers/README.md). From a fresh clone, it installs what it needs
# (espeak-ng and psql from Debian, the models, a Python environment of its own), builds the demo's
# dev binary, makes the data, runs every system and writes RESULTS.md and results.svg here.
#
#   benches/peers/run.sh            full size, 3 rounds (18 to 28 minutes on 2 cores, after the build)
#   benches/peers/run.sh --quick    a tenth of the size, 1 round (1.6 minutes)
#   benches/peers/run.sh --only images,video --systems limit,mediasql --repeat 1   (a part)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE="${MEDIASQL_PEERS_DIR:-$HOME/.cache/mediasql/peers}"
scale=1 name=full
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then scale=0.1 name=quick; fi
done

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v psql >/dev/null || missing+=(postgresql-client)
bash scripts/apt-install.sh ${missing[@]+"${missing[@]}"}
bash scripts/install-build-deps.sh
bash scripts/install-models.sh

# The Python environment, remade when requirements.txt changes.
venv="$CACHE/venv"
stamp="$venv/requirements.sha256"
want=$(sha256sum benches/peers/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r benches/peers/requirements.txt
  echo "$want" > "$stamp"
fi

# The binary the README's demo runs: the dev profile with the hot crates optimised.
cargo build --bin mediasql
binary="${CARGO_TARGET_DIR:-$ROOT/target}/debug/mediasql"

# The data, remade when the generator changes.
data="$CACHE/data-$name"
want=$(cat benches/peers/gen_data.py scripts/minipdf.py | sha256sum | cut -d' ' -f1)
if [ "$(cat "$data/generator.sha256" 2>/dev/null)" != "$want" ]; then
  rm -rf "$data"
  "$venv/bin/python" benches/peers/gen_data.py "$data" "$scale"
  echo "$want" > "$data/generator.sha256"
fi

exec "$venv/bin/python" benches/peers/bench.py "$data" "$CACHE/work-$name" "$binary" "$@"
