#!/usr/bin/env bash
# Installs the system packages the build needs: whisper.cpp (inside whisper-rs) is compiled
# from source with cmake, and its bindings are generated with clang (libclang); video decoding
# links FFmpeg's libraries (libav*-dev, found with pkg-config). Debian/Ubuntu. Also python3-venv:
# install-models.sh builds the models from their published weights in a private venv.
set -euo pipefail
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v clang >/dev/null || missing+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
for lib in libavcodec libavformat libavutil libswscale; do
  pkg-config --exists "$lib" 2>/dev/null || missing+=("$lib-dev")
done
bash "$(dirname "$0")/apt-install.sh" ${missing[@]+"${missing[@]}"}
