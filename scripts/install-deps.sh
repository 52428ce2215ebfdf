#!/usr/bin/env bash
# Installs the Debian packages Mycelium builds, tests and runs with.
# Idempotent: when everything is present it only runs dpkg queries and returns.
set -euo pipefail

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

if [ ${#missing[@]} -eq 0 ]; then
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
