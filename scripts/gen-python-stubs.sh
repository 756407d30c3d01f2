#!/usr/bin/env bash
# Regenerates the type stubs python/cai/_core.pyi (and python/cai/_core/<submodule>.pyi) from the
# built extension with pybind11-stubgen. Usage: gen-python-stubs.sh PYTHON, where PYTHON imports an
# installed cai (e.g. build/test/test-venv/bin/python after `make test`). Run after changing the
# bindings; python/tests/test_stubs.py checks that the stubs name everything the module has.
set -euo pipefail
python="$1"
out="$(mktemp -d)"
"$python" -m pip install --quiet --disable-pip-version-check pybind11-stubgen
"$python" -m pybind11_stubgen cai._core -o "$out" --numpy-array-use-type-var
rm -rf python/cai/_core.pyi python/cai/_core
if [ -d "$out/cai/_core" ]; then
  mkdir -p python/cai/_core && cp "$out"/cai/_core/*.pyi python/cai/_core/
else
  cp "$out/cai/_core.pyi" python/cai/_core.pyi
fi
rm -rf "$out"
echo "stubs written under python/cai/"
