#!/usr/bin/env bash
# Regenerates docs/console.png, the README's picture of the web console: the demo served on
# spare ports, a classify query opened in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/mediasql"
"$bin" demo --listen 127.0.0.1:55433 --console 127.0.0.1:58080 &
server=$!
trap 'kill $server' EXIT
sleep 3
sql="SELECT path, classify(content)['label'] AS label, content FROM images ORDER BY path"
query="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$sql")"
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,760 \
  --virtual-time-budget=30000 --screenshot=docs/console.png "http://127.0.0.1:58080/?sql=$query"
