#!/usr/bin/env bash
# Installs the Debian packages Mycelium builds, tests and runs with.
# Idempotent: when everything is present it only runs dpkg queries and returns.
#   --programs-only  leaves out Node.js and polkadot-js, which only the chain tests use
#                    (make demo and make install pass it)
set -euo pipefail

with_chain_tests=1
case "${1:-}" in
  --programs-only) with_chain_tests=0 ;;
  "") ;;
  *) echo "usage: $0 [--programs-only]" >&2; exit 2 ;;
esac

packages=(
  build-essential pkg-config cmake
  postgresql-15 postgresql-server-dev-15 postgresql-contrib postgresql-common
  libpq-dev libsodium-dev
  libflatbuffers-dev flatbuffers-compiler
  libwebsockets-dev libwebsockets-evlib-uv libyaml-cpp-dev libuv1-dev libraft-dev
  googletest libgtest-dev libbenchmark-dev
  # libFuzzer for tests/fuzz/run-smoke.sh: clang-14 only recommends its runtime library.
  clang-14 libclang-rt-14-dev
  python3 python3-nacl python3-websockets curl
  # pgrep (tests/integration/crash.sh kills a postmaster with its children).
  procps
)

missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints "install ok installed" only for fully installed packages.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

# tests/chain/node_modules: polkadot-js at the versions tests/chain/package-lock.json pins, the
# independent implementation the chain tests check ours against (sr25519, SS58, SCALE). Installed
# again when the lock file is newer than the installed tree.
install_node_deps() {
  local dir=tests/chain
  [ "$with_chain_tests" = 1 ] || return 0
  [ -f "$dir/node_modules/.package-lock.json" ] &&
    [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && return 0
  echo "install-deps: npm ci in $dir (polkadot-js for the chain tests)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
cd "$(dirname "$0")/.."

# node and npm run the chain tests' independent implementation. A machine may have them from
# elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's npm package): Debian's
# are installed only when the commands are missing.
if [ "$with_chain_tests" = 1 ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  install_node_deps
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or install them yourself)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_node_deps
