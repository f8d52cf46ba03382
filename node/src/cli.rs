//! Command-line interface: sc-cli's flags, Bulkhead's sealing options and the subcommands.

/// How a `--dev` chain seals blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Sealing {
	/// One block as soon as transactions arrive, finalized at once.
	#[default]
	Instant,
	/// Only when asked through the `engine_createBlock` RPC (or the interval below).
	Manual,
}

#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: RunCmd,
}

/// `sc_cli::RunCmd` plus the dev chain's sealing options.
#[derive(Debug, clap::Parser)]
pub struct RunCmd {
	#[clap(flatten)]
	pub base: sc_cli::RunCmd,

	/// Development chains only: how blocks are sealed. Both modes finalize every block at
	/// once and accept `engine_createBlock` / `engine_finalizeBlock` RPCs.
	#[arg(long, value_enum, default_value_t = Sealing::Instant)]
	pub sealing: Sealing,

	/// Development chains only: also seal a block every this many milliseconds, with or
	/// without transactions, so that time moves on by itself.
	#[arg(long, value_name = "MILLISECONDS")]
	pub dev_block_time: Option<u64>,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management utilities.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime benchmarks (built with `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),
}
