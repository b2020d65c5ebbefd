#!/usr/bin/env bash
# Installs the named Debian packages (through sudo when not root); nothing when none is named.
# The install scripts name what they find missing: `bash scripts/apt-install.sh "${missing[@]}"`.
set -euo pipefail
if [ $# -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@"
echo "installed: $*"
