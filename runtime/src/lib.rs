//! # Bulkhead runtime
//!
//! The one place where Bulkhead's four pallets meet. Each pallet knows only the traits of
//! `segment-interface`; this crate decides which pallet answers which trait:
//!
//! | trait | answered by | asked by |
//! |---|---|---|
//! | `MarginLedger`, `SiloTransfers`, `SiloDirectory` | `CollateralSilos` | `ExecutionSegments`, `Gateway` |
//! | `SegmentHealth`, `SiloMonitor`, `PriceMonitor` | `CircuitBreaker` | silos, segments, gateway |
//! | `PriceFeed` | `Oracle` (a majority of the operators' fresh values, by median: [`configs::MajorityMedian`]), through [`configs::OraclePrices`] | `ExecutionSegments` |
//! | `Contains<SegmentId>` | [`configs::GuardedSegments`]: `ExecutionSegments`, and `CollateralSilos` through `SiloDirectory` | `CircuitBreaker` |
//!
//! Around them: `Balances` (native token BULK, 12 decimals, for fees), `Assets` (collateral
//! such as USDC), `Oracle` with `OracleOperators`, `Guardians` (the gateway's and breaker's
//! guardian set), `TransactionPayment`, `Sudo` (dev governance), `Timestamp`, and `Aura` +
//! `Grandpa` for networks. `SegmentsApi` (see [`apis`]) serves health, positions, blast radius
//! and keeper lists.

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]
// `construct_runtime` and `impl_runtime_apis` expand to a lot of code.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks;
#[cfg(all(feature = "std", feature = "runtime-benchmarks"))]
pub mod block_benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod oracle_genesis;
pub mod views;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_support::{construct_runtime, parameter_types};
pub use segment_interface::{OracleKey, Price, SegmentId, SiloId};

/// Opaque types: what the node needs to know of blocks without knowing the runtime.
pub mod opaque {
	use super::*;
	use sp_runtime::OpaqueExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, OpaqueExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The session keys of a validator: Aura for authoring, GRANDPA for finality.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// `VERSION` with `spec_version` set to `$spec` (a literal, which the `runtime_version`
/// attribute needs to write the version into the wasm's custom section).
macro_rules! runtime_version {
	($(#[$doc:meta])* spec_version: $spec:tt) => {
		$(#[$doc])*
		#[sp_version::runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: alloc::borrow::Cow::Borrowed("bulkhead"),
			impl_name: alloc::borrow::Cow::Borrowed("bulkhead"),
			authoring_version: 1,
			spec_version: $spec,
			impl_version: 1,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 7,
			system_version: 1,
		};
	};
}

#[cfg(not(feature = "next-spec-version"))]
runtime_version! {
	/// The runtime's version. Bump `spec_version` with every change of logic, and
	/// `transaction_version` whenever calls or their encodings change. 100 was the launch
	/// runtime; 101 added minimum deposits and position sizes (storage version 1 of silos and
	/// segments, and new arguments to `create_silo`, `set_silo_params` and the risk parameters);
	/// 102 the pool economics (storage version 2 of silos and segments, pool parameters in the
	/// risk parameters, `auto_deleverage`, `SegmentsApi` version 2); 103 reserves backed by
	/// liquidity, the withdrawal PnL check after the withdrawal, auto-deleveraging sized with
	/// the payout cap, collateral of at most 10 decimals, storage weights measured here, and
	/// bad-debt and manual trips that wait for a reset; 104 outflow measured per account
	/// beyond principal, with a per-account share (storage version 1 of the breaker, a new
	/// threshold), and exit queues (storage version 3 of silos, `queue_exit`, `cancel_exit`,
	/// `process_exits`); 105 the outflow line's base the silo's value averaged over time
	/// (storage version 2 of the breaker), principal capped at what an account holds when it deposits,
	/// and exit queues that only take what the line holds back, at most two entries per
	/// account (storage version 4 of silos, `QueuedBy`); 106 one entry per account and silo
	/// (`Accounts`: margin, pool shares and the account's flow, storage version 5 of silos,
	/// version 3 of the breaker), so a withdrawal writes the account once, and an oracle price
	/// combined only from a majority of the operators; 107 a time-weighted reference price in
	/// every breaker, which also trips on a walk (storage version 4 of the breaker, two new
	/// thresholds), and no value moved at a price the breaker rejected; 108 two-step orders
	/// (storage version 3 of segments: `request_order`, `execute_order`, `cancel_order` and
	/// `set_order_params` replace the instant `open_position`, `decrease_position` and
	/// `close_position`), so no trade fills at a price anyone could see when it was made; 109
	/// markets that end (storage version 4 of segments: `settle_market`, `settle_positions`,
	/// `MarketStatus` in the segment health view, silos that take nothing new once their
	/// market has ended); 110 LP deposits and withdrawals that are orders too (storage
	/// version 6 of silos: `request_lp_order`, `execute_lp_order` and `cancel_lp_order`
	/// replace the instant `provide_liquidity` and `withdraw_liquidity`; version 5 of
	/// segments: `RepricedAt`), priced at a price nobody could see when they were made; 111
	/// queued share exits paid at such a price too (storage version 7 of silos:
	/// `Exit::priced_at`); 112 every weight a block charges measured on this machine (a
	/// block's and an extrinsic's base weights and the transaction extensions'), and inherents
	/// in extrinsic format 4, which every deployed client decodes; 113 pallet-assets' and
	/// pallet-membership's weights measured in this runtime too; 114 oracle values kept only
	/// for keys a segment trades, and an outgoing operator's values cleared within a bound the
	/// membership weights charge for; 115 no price written back when none is combined, and
	/// the segments on a fed key read once by the oracle's hook.
	spec_version: 115
}

#[cfg(feature = "next-spec-version")]
runtime_version! {
	/// With `next-spec-version`, the same runtime one spec version later: what the end-to-end
	/// upgrade test sets with `system.setCode`. `build.rs` builds it beside the real wasm; no
	/// chain should run it.
	spec_version: 116
}

/// Aura's slot, and so the target block time of a network: 6 seconds.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura reads the slot duration from here; changing it on a live chain breaks block production.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute, hour and day at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// One BULK, the native token (12 decimals). Fees are paid in BULK.
pub const UNIT: Balance = 1_000_000_000_000;
pub const MILLI_UNIT: Balance = 1_000_000_000;
pub const MICRO_UNIT: Balance = 1_000_000;
/// The least BULK an account may hold.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Signatures: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// 32-byte account ids, derived from the signer's public key.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balances of BULK and of collateral assets.
pub type Balance = segment_interface::Balance;
/// Transaction counters.
pub type Nonce = u32;
/// Block hashes.
pub type Hash = sp_core::H256;
/// Block numbers.
pub type BlockNumber = u32;
/// Collateral asset ids (pallet-assets).
pub type AssetId = u32;
/// Account addresses as transactions carry them.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A signed block with justifications.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// What every signed transaction carries and checks, in order.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The extensions of a signed transaction at `nonce`: immortal, no tip. What the node's block
/// benchmarks and the runtime's tests sign with; wallets build their own. Not in the wasm.
#[cfg(feature = "std")]
pub fn tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		frame_system::WeightReclaim::new(),
	)
}

/// Extrinsics as the runtime decodes them.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

parameter_types! {
	/// The pool parameters the v2 migration gives every segment of a chain that launched
	/// without pool economics: the demo genesis's.
	pub MigrationPoolParams: pallet_execution_segments::PoolParams =
		genesis_config_presets::demo_pool();
	/// The per-account share every route gets on upgrading to gateway storage version 1: the
	/// demo routes'.
	pub MigrationRouteShare: sp_runtime::Permill =
		genesis_config_presets::demo_route().max_account_share;
}

/// Storage migrations, run by `Executive` in the first block of a new spec version, before any
/// pallet hook. Each runs only on a chain whose pallet is at the storage version it starts
/// from, so a chain built by this runtime skips them; keep each until every chain has run it
/// (see `docs/upgrades.md`).
pub type Migrations = (
	pallet_collateral_silos::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_execution_segments::migrations::v2::MigrateV1ToV2<Runtime, MigrationPoolParams>,
	pallet_collateral_silos::migrations::v3::MigrateV2ToV3<Runtime, BreakerFlows>,
	pallet_circuit_breaker::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_circuit_breaker::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_collateral_silos::migrations::v4::MigrateV3ToV4<Runtime>,
	pallet_gateway::migrations::v1::MigrateV0ToV1<Runtime, MigrationRouteShare>,
	// Before the breaker's v3, which drops what this one did not move.
	pallet_collateral_silos::migrations::v5::MigrateV4ToV5<Runtime, BreakerFlows>,
	pallet_circuit_breaker::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_circuit_breaker::migrations::v4::MigrateV3ToV4<Runtime>,
	pallet_execution_segments::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_execution_segments::migrations::v4::MigrateV3ToV4<Runtime>,
	pallet_execution_segments::migrations::v5::MigrateV4ToV5<Runtime>,
	pallet_collateral_silos::migrations::v6::MigrateV5ToV6<Runtime>,
	pallet_collateral_silos::migrations::v7::MigrateV6ToV7<Runtime>,
);

/// Accounts' flows where the circuit breaker kept them until its storage version 3, for the
/// silos' migrations: version 3 seeds principal there, version 5 moves every flow into the
/// accounts' silo entries. Only the runtime reaches both pallets.
pub struct BreakerFlows;

impl
	pallet_collateral_silos::migrations::LegacyFlows<
		AccountId,
		frame_system::pallet_prelude::BlockNumberFor<Runtime>,
	> for BreakerFlows
{
	fn add_principal(segment: SegmentId, who: &AccountId, amount: Balance) {
		pallet_circuit_breaker::migrations::v3::v2::AccountFlows::<Runtime>::mutate(
			segment,
			who,
			|flow| flow.principal = flow.principal.saturating_add(amount),
		);
	}

	fn all() -> Vec<(
		SegmentId,
		AccountId,
		segment_interface::AccountFlow<frame_system::pallet_prelude::BlockNumberFor<Runtime>>,
	)> {
		pallet_circuit_breaker::migrations::v3::v2::AccountFlows::<Runtime>::iter().collect()
	}

	fn clear() -> u32 {
		pallet_circuit_breaker::migrations::v3::v2::AccountFlows::<Runtime>::clear(u32::MAX, None)
			.unique
	}
}

/// Dispatches extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;
	#[runtime::pallet_index(7)]
	pub type Assets = pallet_assets;

	// Who feeds prices, and who guards the gateway and the breaker.
	#[runtime::pallet_index(10)]
	pub type OracleOperators = pallet_membership<Instance1>;
	#[runtime::pallet_index(11)]
	pub type Guardians = pallet_membership<Instance2>;
	#[runtime::pallet_index(12)]
	pub type Oracle = pallet_oracle;

	// Bulkhead. Genesis builds in this order: silos before the segments bound to them, the
	// breaker before the oracle's genesis prices reach it.
	#[runtime::pallet_index(20)]
	pub type CollateralSilos = pallet_collateral_silos;
	#[runtime::pallet_index(21)]
	pub type ExecutionSegments = pallet_execution_segments;
	#[runtime::pallet_index(22)]
	pub type Gateway = pallet_gateway;
	#[runtime::pallet_index(23)]
	pub type CircuitBreaker = pallet_circuit_breaker;
	#[runtime::pallet_index(24)]
	pub type OracleGenesis = oracle_genesis;
}
