//! `bulkhead-node`: a Bulkhead dev chain with instant seal and instant finality (`--dev`), and
//! Aura + GRANDPA validators for networks (`--chain local --alice`, ...).

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
