#!/usr/bin/env bash
# Builds docker/Dockerfile and checks what its users get, on a machine with no Docker engine
# and no registry (Debian 12 with podman). Not part of .ci/run: it takes a release build.
#   - the base image debian:bookworm-slim: made with debootstrap and imported when missing;
#   - the binary: a release build on this host (GGML_NATIVE=OFF), fed to the image with
#     BINARY=prebuilt (the rust:1.95-bookworm builder stage cannot be pulled here);
#   - the models: from their public homes through a local mirror of them (scripts/models/
#     mirror.py), as a user's build fetches them; YOLOX-nano's home (GitHub) is unreachable
#     here, so its verified file goes in as an offline copy (docker/offline-models/);
#   - then: the image refuses to listen beyond loopback without a password; with one it
#     answers psql and runs classify, detect_objects and transcribe on the demo media; the
#     compose file's service starts and answers.
# Usage: scripts/docker-check.sh   (as root; prints "docker-check: passed" at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=localhost/mediasql:check
WORK="${MEDIASQL_DOCKER_WORK:-$HOME/.cache/mediasql/docker-check}"
mkdir -p "$WORK"

log() { echo "docker-check: $*"; }
fail() { echo "docker-check: FAILED: $*" >&2; exit 1; }

# podman without flags on every call: vfs storage, runc (crun refuses hybrid cgroups), cgroupfs,
# the host's network, and the limits this sandbox allows.
setup_podman() {
  local missing=()
  for tool in podman runc debootstrap podman-compose; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" uidmap
  fi
  cat > "$WORK/containers.conf" <<'CONF'
[containers]
netns = "host"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
CONF
  cat > "$WORK/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$WORK/storage"
runroot = "$WORK/run"
CONF
  export CONTAINERS_CONF="$WORK/containers.conf" CONTAINERS_STORAGE_CONF="$WORK/storage.conf"
  export BUILDAH_ISOLATION=chroot
}

base_image() {
  if podman image exists docker.io/library/debian:bookworm-slim; then
    return
  fi
  log "making debian:bookworm-slim with debootstrap"
  local root="$WORK/bookworm-root"
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$WORK/debootstrap.log"
  tar -C "$root" -c . | podman import - docker.io/library/debian:bookworm-slim
  rm -rf "$root"
}

release_binary() {
  log "building the release binary (GGML_NATIVE=OFF)"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mediasql/ci-target}"
  GGML_NATIVE=OFF cargo build --release --locked --bin mediasql
  mkdir -p docker/prebuilt
  cp "$CARGO_TARGET_DIR/release/mediasql" docker/prebuilt/mediasql
}

# The public homes' files and the build steps' wheels, served on loopback.
start_mirror() {
  python3 scripts/models/mirror.py "$WORK/mirror"
  python3 -m pip download --quiet --only-binary=:all: -d "$WORK/mirror/pypi" \
    -r scripts/models/requirements.txt
  local shared="${MEDIASQL_MODELS_SOURCE:-../shared/models}"
  mkdir -p docker/offline-models/yolox-nano
  cp "$shared/yolox-nano/model.onnx" docker/offline-models/yolox-nano/model.onnx
  MIRROR_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$WORK/mirror" "$MIRROR_PORT" \
    >"$WORK/mirror.log" 2>&1 &
  MIRROR_PID=$!
}

build_image() {
  log "building $IMAGE"
  podman build -f docker/Dockerfile -t "$IMAGE" \
    --build-arg BINARY=prebuilt \
    --build-arg MEDIASQL_MODELS_MIRROR="http://127.0.0.1:$MIRROR_PORT" \
    --build-arg PIP_NO_INDEX=1 \
    --build-arg PIP_FIND_LINKS="http://127.0.0.1:$MIRROR_PORT/pypi/" \
    . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "podman build"; }
  grep -E "^(installed|downloading|building)" "$WORK/build.log" || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

# sql PORT QUERY: the query's rows through psql with the password.
sql() {
  PGPASSWORD=docker-check psql -h 127.0.0.1 -p "$1" -U mediasql -d mediasql -At -v ON_ERROR_STOP=1 -c "$2"
}

expect() {
  local got="$1" want="$2" what="$3"
  grep -qi -- "$want" <<<"$got" || fail "$what: expected '$want' in: $got"
  log "ok: $what"
}

check_image() {
  local port out
  port=$(free_port)
  # Beyond loopback without a password: refused, with a reason.
  if out=$(podman run --rm "$IMAGE" demo --listen "0.0.0.0:$port" --console off 2>&1); then
    fail "the image started on 0.0.0.0 without a password"
  fi
  expect "$out" "password" "refuses 0.0.0.0 without a password"

  podman run -d --name mediasql-check -e MEDIASQL_PASSWORD=docker-check "$IMAGE" \
    demo --listen "0.0.0.0:$port" --console off >/dev/null
  trap 'podman rm -f mediasql-check >/dev/null 2>&1 || true; kill $MIRROR_PID 2>/dev/null || true' EXIT
  wait_port "$port" || { podman logs mediasql-check; fail "the server did not listen"; }
  if PGPASSWORD=wrong psql -h 127.0.0.1 -p "$port" -U mediasql -d mediasql -c 'SELECT 1' 2>/dev/null; then
    fail "a wrong password was accepted"
  fi
  expect "$(sql "$port" "SELECT version()")" "PostgreSQL" "psql logs in with the password"
  expect "$(sql "$port" "SELECT classify(content)['label'] FROM images WHERE path LIKE '%coffee%'")" \
    "espresso" "classify in the image"
  expect "$(sql "$port" "SELECT d['label'] FROM (SELECT unnest(detect_objects(content)) AS d FROM images WHERE path LIKE '%cat%')")" \
    "cat" "detect_objects in the image"
  expect "$(sql "$port" "SELECT transcribe(content) FROM audio WHERE path LIKE '%harbor%'")" \
    "harbor at dawn" "transcribe in the image"
  podman rm -f mediasql-check >/dev/null
}

check_compose() {
  log "compose: docker/compose.yaml"
  # The compose file as users run it (its bridge network and published port), with the image
  # built above instead of a build from source.
  cat > "$WORK/compose.check.yaml" <<YAML
services:
  mediasql:
    image: $IMAGE
YAML
  MEDIASQL_PASSWORD=docker-check podman-compose -f docker/compose.yaml -f "$WORK/compose.check.yaml" \
    down >/dev/null 2>&1 || true
  MEDIASQL_PASSWORD=docker-check podman-compose -f docker/compose.yaml -f "$WORK/compose.check.yaml" \
    up -d >"$WORK/compose.log" 2>&1 || { cat "$WORK/compose.log"; fail "compose up"; }
  wait_port 5433 || { cat "$WORK/compose.log"; fail "the compose service did not listen"; }
  expect "$(sql 5433 "SELECT count(*) FROM media")" "^1[0-9]$" "the compose service answers"
  MEDIASQL_PASSWORD=docker-check podman-compose -f docker/compose.yaml -f "$WORK/compose.check.yaml" \
    down >>"$WORK/compose.log" 2>&1
}

setup_podman
case "${1:-all}" in
  base) base_image ;;
  all)
    base_image
    release_binary
    start_mirror
    build_image
    check_image
    check_compose
    kill "$MIRROR_PID" 2>/dev/null || true
    log "passed ($(date -u +%Y-%m-%d), image $(podman image inspect --format '{{.Size}}' "$IMAGE" | numfmt --to=iec))"
    ;;
  *) fail "usage: $0 [all|base]" ;;
esac
