#!/usr/bin/env bash
# Installs what building and testing Bulkhead needs and this machine lacks; safe to run again.
#
# - Debian's clang: the C parts of wasm runtime builds (secp256k1 for wasm32). No RocksDB is
#   built (the node stores blocks in ParityDB); the C and C++ that crates still compile with the
#   system's cc (binaryen, zstd, lz4, ring) need nothing more.
# - Debian's protobuf-compiler: protoc, for the networking crates.
# - Debian's libssl-dev and pkg-config: the OpenSSL litep2p's WebRTC links, from the system
#   instead of compiled from source (OPENSSL_NO_VENDOR in .cargo/config.toml).
# - Debian's chromium: the headless browser the console's end-to-end test drives.
# - rustup's wasm32v1-none target and rust-src: the wasm runtime.
# - The JavaScript packages of the keeper and the end-to-end tests, at the versions in
#   package-lock.json; @polkadot/api is pinned to 16.5.6. (`npm install`, not `npm ci`: npm 11's
#   `ci` rejects this lock over rollup's optional per-platform packages, which `install` skips.)
set -euo pipefail

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
	say "cargo and rustup are needed first: https://rustup.rs"
	exit 1
fi

debian_packages=()
command -v clang >/dev/null 2>&1 || debian_packages+=(clang)
command -v protoc >/dev/null 2>&1 || debian_packages+=(protobuf-compiler)
command -v pkg-config >/dev/null 2>&1 || debian_packages+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || debian_packages+=(libssl-dev)
command -v node >/dev/null 2>&1 || debian_packages+=(nodejs npm)
# The console's browser test drives Debian's Chromium (e2e/console.test.js).
command -v chromium >/dev/null 2>&1 || debian_packages+=(chromium)
if [ ${#debian_packages[@]} -gt 0 ]; then
	say "installing Debian packages: ${debian_packages[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${debian_packages[@]}"
fi

if ! rustup target list --installed | grep -qx 'wasm32v1-none'; then
	say "adding rustup target wasm32v1-none"
	rustup target add wasm32v1-none
fi
if ! rustup component list --installed | grep -q '^rust-src'; then
	say "adding rustup component rust-src"
	rustup component add rust-src
fi
say "toolchain ready: $(rustc --version)"

cd "$(dirname "$0")/.."
if [ ! -d node_modules/@polkadot/api ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	say "installing JavaScript packages (npm install, from package-lock.json)"
	npm install --no-audit --no-fund --loglevel=error
fi
