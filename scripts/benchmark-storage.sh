#!/usr/bin/env bash
# Measure what one storage read and one storage write cost in ParityDB on this machine, and write
# them to runtime/src/weights/paritydb_weights.rs: the `DbWeight` every call's weight adds per
# storage access (each pallet's `weights.rs` counts the accesses; this prices them).
#   1. the dev chain spec, raw;
#   2. scripts/benchmark-state.js grows its genesis to the size of a busy chain (ACCOUNTS
#      accounts with BULK, USDC and margin, a third of them with a position, an ADL queue entry
#      and LP shares);
#   3. `benchmark storage` builds that state in ParityDB and reads, then writes, every key.
#      Reads are timed one by one, with no cache. Writes are timed in commits of BATCH keys, as
#      a block commits all it wrote at once; the cost per key falls as the batch grows (one
#      series on this machine, 2026-12-02: 27.3 us at 1,000, 23.6 at 5,000, 22.5 at 10,000, 18.0
#      at the tool's default of 100,000; a repeat at 5,000 gave 22.6). A block full of transfers
#      writes about 5,000 distinct keys (two accounts each) and one full of trades more, so
#      5,000 prices a full block's writes without flattering it.
#      Both averages are charged 10% over (`--mul 1.1`, as Polkadot's runtimes do): the state was
#      just built, so the OS still caches it, and ParityDB returns from a commit before its
#      background flush. Reads varied by a quarter between runs here (6.8 to 9.2 us).
# Needs the benchmarking node scripts/benchmark.sh builds; builds the plain node.
#
# Usage: scripts/benchmark-storage.sh     Env: ACCOUNTS (default 100000), BATCH (default 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
ACCOUNTS="${ACCOUNTS:-100000}"
BATCH="${BATCH:-5000}"
source scripts/lib/benchmark-nodes.sh

echo "== chain state: dev genesis + $ACCOUNTS accounts"
"$plain" build-spec --chain dev --raw >"$state/dev.json" 2>/dev/null
BULKHEAD_NODE="$plain" node scripts/benchmark-state.js "$state/dev.json" "$state/spec.json" --accounts "$ACCOUNTS" \
	| tee "$out/storage-state.json"

echo "== benchmark storage"
"$node" benchmark storage \
	--chain "$state/spec.json" \
	--base-path "$state/db" \
	--database paritydb \
	--state-version 1 \
	--batch-size "$BATCH" \
	--mul 1.1 \
	--template-path scripts/weights/db-weights.hbs \
	--weight-path runtime/src/weights/paritydb_weights.rs \
	--json-read-path "$out/storage-read.json" \
	--json-write-path "$out/storage-write.json"
echo "== runtime/src/weights/paritydb_weights.rs written"
