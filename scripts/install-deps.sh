#!/usr/bin/env bash
# Installs the Debian packages cai needs to build, test and benchmark.
# Non-interactive and idempotent: when every package is present it only runs dpkg queries.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libeigen3-dev        # dense/sparse linear algebra (nn, vi)
  libcli11-dev         # command-line parsing for the `cai` tool
  nlohmann-json3-dev   # cai.mdp/1 and --json I/O
  libfmt-dev           # formatting of tables and messages
  libgtest-dev libgmock-dev  # unit tests
  libbenchmark-dev     # micro-benchmarks in bench/
  python3 python3-numpy python3-scipy  # NumPy/SciPy peer in bench/, reference checks
  python3-venv python3-pip  # test-venv: safetensors and tensorboard readers from PyPI (tests only)
  python3-dev          # Python.h: the extension module of the Python package (pip install .)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
