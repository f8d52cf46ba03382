//! Genesis presets: `development` (one authority, Alice) and `local_testnet` (Alice and Bob).
//!
//! Both start with a live demo, so a new user sees a working protocol from genesis (block #0):
//! - USDC (asset 1, 6 decimals) minted to Alice..Ferdie;
//! - three segments, BTC-PERP, ETH-PERP and DOT-PERP, each on its own USDC silo holding LP
//!   liquidity and insurance from Alice;
//! - oracle prices fed at genesis (Alice, Bob and Charlie are the operators);
//! - guardians Alice, Bob and Charlie, two of three to approve a large transfer;
//! - gateway routes both ways between the BTC and ETH silos;
//! - every breaker on [`crate::configs::DefaultThresholds`]; Alice is sudo.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_execution_segments::{PoolParams, RiskParams};
use pallet_gateway::RouteLimits;
use segment_interface::{OracleKey, Price, SegmentId, SiloId};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{FixedPointNumber, Perbill, Permill};

use crate::{
	AccountId, AssetId, AssetsConfig, AuraConfig, Balance, BalancesConfig, CollateralSilosConfig,
	ExecutionSegmentsConfig, GatewayConfig, GrandpaConfig, GuardiansConfig, OracleGenesisConfig,
	OracleOperatorsConfig, RuntimeGenesisConfig, SudoConfig, HOURS, MINUTES, UNIT,
};

/// The demo's collateral asset.
pub const USDC: AssetId = 1;
/// One USDC (6 decimals).
pub const USDC_UNIT: Balance = 1_000_000;

/// A demo market: segment and silo share the id.
pub struct Market {
	/// Segment id, and the id of its silo.
	pub id: SegmentId,
	/// The oracle key it trades on.
	pub key: &'static [u8],
	/// Its genesis price, in USDC.
	pub price: u32,
}

/// The demo's markets.
pub const MARKETS: [Market; 3] = [
	Market { id: 1, key: b"BTC/USD", price: 60_000 },
	Market { id: 2, key: b"ETH/USD", price: 3_000 },
	Market { id: 3, key: b"DOT/USD", price: 5 },
];

/// The demo silos' minimum deposit: an account in a silo starts with at least 10 USDC.
pub const MIN_DEPOSIT: Balance = 10 * USDC_UNIT;
/// The demo segments' minimum position size: 100 USDC of notional.
pub const MIN_POSITION_SIZE: Balance = 100 * USDC_UNIT;

/// Each dev account's USDC at genesis.
pub const USDC_PER_ACCOUNT: Balance = 1_000_000 * USDC_UNIT;
/// LP liquidity Alice puts into each silo.
pub const LIQUIDITY_PER_SILO: Balance = 2_000_000 * USDC_UNIT;
/// Insurance Alice puts into each silo.
pub const INSURANCE_PER_SILO: Balance = 100_000 * USDC_UNIT;
/// USDC Alice holds on top, to fund the silos.
pub const ALICE_FUNDING: Balance =
	(LIQUIDITY_PER_SILO + INSURANCE_PER_SILO) * MARKETS.len() as Balance;

/// The demo segments' risk: 10x at most, 10% initial and 5% maintenance margin, 1% to the
/// liquidator, prices no older than 15 minutes, positions of at least 100 USDC.
pub fn demo_risk() -> RiskParams {
	RiskParams {
		initial_margin: Permill::from_percent(10),
		maintenance_margin: Permill::from_percent(5),
		max_leverage: 10,
		liquidation_fee: Permill::from_percent(1),
		max_open_interest: 5_000_000 * USDC_UNIT,
		max_oi_share: Permill::from_percent(50),
		max_oracle_age: 15 * 60 * 1000,
		funding_rate: Perbill::from_parts(10),
		min_position_size: MIN_POSITION_SIZE,
		pool: demo_pool(),
	}
}

/// The skew at which the demo markets' price impact would reach 100%: a skew of 1,000,000 USDC
/// (a whole side's cap on a 2,000,000 pool) moves fills by 0.5%.
pub const SKEW_SCALE: Balance = 200_000_000 * USDC_UNIT;
/// The keeper deposit every demo position locks.
pub const KEEPER_DEPOSIT: Balance = 5 * USDC_UNIT;

/// The demo markets' pool economics: the defaults of [`PoolParams::with_defaults`] (PnL factors
/// 90% and 70%, reserve 90%, fees 4 and 6 bp with a fifth to insurance, impact at most 0.5%
/// worse and 0.4% better, borrowing 50% a year at a 75% kink and 120% at full use, ADL from 85%
/// to 77%), a skew scale of 200,000,000 USDC and a keeper deposit of 5 USDC.
pub fn demo_pool() -> PoolParams {
	PoolParams::with_defaults(SKEW_SCALE, KEEPER_DEPOSIT)
}

/// The demo routes' limits: 100k USDC per hour, net of what comes back the other way; one
/// account may move a quarter of it, and once an account has moved 10k or more in the hour its
/// transfers need 2 of 3 guardians and wait a minute, during which any guardian may veto.
pub fn demo_route() -> RouteLimits<crate::BlockNumber> {
	RouteLimits {
		window_limit: 100_000 * USDC_UNIT,
		window_length: HOURS,
		large_transfer: 10_000 * USDC_UNIT,
		max_account_share: Permill::from_percent(25),
		delay: MINUTES,
	}
}

/// An oracle key from bytes the presets know to be short enough.
pub fn oracle_key(key: &[u8]) -> OracleKey {
	OracleKey::truncate_from(key.to_vec())
}

fn dev_accounts() -> Vec<AccountId> {
	[
		Sr25519Keyring::Alice,
		Sr25519Keyring::Bob,
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
	]
	.iter()
	.map(|k| k.to_account_id())
	.collect()
}

/// The demo genesis, with `authorities` producing and finalizing blocks.
fn bulkhead_genesis(authorities: Vec<(AuraId, GrandpaId)>, endowed: Vec<AccountId>) -> Value {
	let alice = Sr25519Keyring::Alice.to_account_id();
	let trio: Vec<AccountId> =
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
			.iter()
			.map(|k| k.to_account_id())
			.collect();
	let mut usdc: Vec<(AssetId, AccountId, Balance)> =
		endowed.iter().cloned().map(|who| (USDC, who, USDC_PER_ACCOUNT)).collect();
	if let Some(entry) = usdc.iter_mut().find(|(_, who, _)| *who == alice) {
		entry.2 += ALICE_FUNDING;
	}
	let silos: Vec<(SiloId, SegmentId, AssetId, Balance, Balance)> = MARKETS
		.iter()
		.map(|m| (m.id, m.id, USDC, 50_000_000 * USDC_UNIT, MIN_DEPOSIT))
		.collect();
	let (btc, eth) = (MARKETS[0].id, MARKETS[1].id);

	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|k| (k, 1_000_000 * UNIT)).collect::<Vec<_>>(),
		},
		aura: AuraConfig {
			authorities: authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>()
		},
		grandpa: GrandpaConfig {
			authorities: authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(alice.clone()) },
		assets: AssetsConfig {
			// Sufficient, so silo accounts and traders need no BULK to hold it.
			assets: vec![(USDC, alice.clone(), true, 1)],
			metadata: vec![(USDC, b"USD Coin".to_vec(), b"USDC".to_vec(), 6)],
			accounts: usdc,
		},
		oracle_operators: OracleOperatorsConfig {
			members: trio.clone().try_into().expect("3 operators fit the bound"),
		},
		guardians: GuardiansConfig { members: trio.try_into().expect("3 guardians fit the bound") },
		collateral_silos: CollateralSilosConfig {
			silos,
			liquidity: MARKETS
				.iter()
				.map(|m| (m.id, alice.clone(), LIQUIDITY_PER_SILO))
				.collect::<Vec<_>>(),
			insurance: MARKETS
				.iter()
				.map(|m| (m.id, alice.clone(), INSURANCE_PER_SILO))
				.collect::<Vec<_>>(),
		},
		execution_segments: ExecutionSegmentsConfig {
			segments: MARKETS
				.iter()
				.map(|m| (m.id, m.id, oracle_key(m.key), demo_risk()))
				.collect::<Vec<_>>(),
		},
		gateway: GatewayConfig {
			approval_threshold: Some(2),
			routes: vec![(btc, eth, demo_route()), (eth, btc, demo_route())],
		},
		oracle_genesis: OracleGenesisConfig {
			prices: MARKETS
				.iter()
				.map(|m| (oracle_key(m.key), Price::saturating_from_integer(m.price)))
				.collect::<Vec<_>>(),
		},
	})
}

/// `development`: Alice alone produces blocks (the dev node seals them instantly).
pub fn development_config_genesis() -> Value {
	bulkhead_genesis(
		vec![(Sr25519Keyring::Alice.public().into(), Ed25519Keyring::Alice.public().into())],
		dev_accounts(),
	)
}

/// `local_testnet`: Alice and Bob produce blocks with Aura and finalize them with GRANDPA.
pub fn local_config_genesis() -> Value {
	bulkhead_genesis(
		vec![
			(Sr25519Keyring::Alice.public().into(), Ed25519Keyring::Alice.public().into()),
			(Sr25519Keyring::Bob.public().into(), Ed25519Keyring::Bob.public().into()),
		],
		dev_accounts(),
	)
}

/// The preset named `id`, serialized; `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The presets this runtime knows.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
