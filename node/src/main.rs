//! `bulkhead-node`: a Bulkhead dev chain with instant seal and instant finality (`--dev`), and
//! Aura + GRANDPA validators for networks (`--chain local --alice`, ...).

// `sc_cli::Error` is sc-cli's own, large error type; every sc-cli runner closure returns it.
#![allow(clippy::result_large_err)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
