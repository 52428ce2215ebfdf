#!/bin/sh
# Runs one of the chain tests' Node.js checks (tests/chain/*.mjs) with its arguments, for
# ctest. The independent implementation they run (polkadot-js) is installed by
# scripts/install-deps.sh into tests/chain/node_modules; without it, or without node, the
# test fails saying so: a cross-check that cannot run must not pass by skipping.
# Usage: node_test.sh SCRIPT.mjs [ARG...]
dir=$(dirname "$0")
if ! command -v node >/dev/null 2>&1; then
  echo "node not found: run scripts/install-deps.sh" >&2
  exit 1
fi
if [ ! -d "$dir/node_modules/@polkadot/util-crypto" ]; then
  echo "tests/chain/node_modules missing: run scripts/install-deps.sh" >&2
  exit 1
fi
script=$1
shift
exec node "$dir/$script" "$@"
