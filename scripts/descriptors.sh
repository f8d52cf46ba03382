#!/usr/bin/env bash
# Generates polkadot-api's typed descriptors (`@polkadot-api/descriptors`, in .papi/descriptors)
# from the runtime the release node carries: its dev chain spec's `:code`, read by `papi add`.
# TypeScript then checks the code that uses them (e2e/tsconfig.json) against this runtime, so a
# storage item, call, event or runtime API field renamed in Rust fails the type check, not a
# user. Only `.papi/polkadot-api.json` is committed: the metadata and the descriptors package
# are made again by every run (`papi add` skips the code generation when the metadata is
# unchanged), and linked into node_modules as `@polkadot-api/descriptors` (the config's
# `noDescriptorsPackage` keeps papi from adding it to package.json and running npm install).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
bin="${BULKHEAD_NODE:-$CARGO_TARGET_DIR/release/bulkhead-node}"
[ -x "$bin" ] || { echo "$bin not found: build it with cargo build --release -p bulkhead-node" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" build-spec --chain dev --raw 2>/dev/null >"$work/spec.json"
node -e '
	const { readFileSync, writeFileSync } = require("node:fs");
	const code = JSON.parse(readFileSync(process.argv[1], "utf8")).genesis.raw.top["0x3a636f6465"];
	if (!code) throw new Error("the dev chain spec holds no :code");
	writeFileSync(process.argv[2], Buffer.from(code.slice(2), "hex"));
' "$work/spec.json" "$work/runtime.wasm"
npx --no-install papi add bulkhead --wasm "$work/runtime.wasm" >"$work/papi.log" 2>&1 || {
	cat "$work/papi.log" >&2
	exit 1
}
mkdir -p node_modules/@polkadot-api
ln -sfn ../../.papi/descriptors node_modules/@polkadot-api/descriptors
echo "descriptors for $(node -p 'require("./.papi/descriptors/generated.json").chains.bulkhead') in .papi/descriptors"
