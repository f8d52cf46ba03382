# Sourced by the scripts that run a benchmark on a chain state they build. Sets:
#   plain  the release node, built now: it builds the state, since a runtime compiled with
#          runtime-benchmarks needs host functions only the benchmark commands provide;
#   node   the benchmarking node scripts/benchmark.sh built;
#   out    where results go ($CARGO_TARGET_DIR/benchmarks);
#   state  a scratch directory, removed on exit.
cargo build --release --locked -p bulkhead-node
plain="$CARGO_TARGET_DIR/release/bulkhead-node"
node="$CARGO_TARGET_DIR/release/bulkhead-node-benchmarks"
[ -x "$node" ] || { echo "run scripts/benchmark.sh first: it builds $node" >&2; exit 1; }
out="$CARGO_TARGET_DIR/benchmarks"
state="$(mktemp -d)"
trap 'rm -rf "$state"' EXIT
mkdir -p "$out"
