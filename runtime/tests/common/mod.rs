//! The real runtime with the `development` genesis preset, and helpers to drive it block by
//! block. Shared by the integration tests.

#![allow(dead_code)]

use bulkhead_runtime::{
	genesis_config_presets as presets, AccountId, AllPalletsWithSystem, Balance, BlockNumber,
	Oracle, Price, Runtime, RuntimeEvent, RuntimeGenesisConfig, RuntimeOrigin, System,
};
use frame_support::traits::{OnFinalize, OnInitialize};
use pallet_collateral_silos::{Books, MarginAccount};
use segment_interface::{SegmentId, SiloId};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{BoundedVec, FixedPointNumber};

pub use presets::{USDC, USDC_UNIT};

/// Chain time at block 1 (ms): an arbitrary, fixed day.
pub const GENESIS_MS: u64 = 1_790_000_000_000;
/// Chain time per block (ms), as Aura's slot.
pub const BLOCK_MS: u64 = bulkhead_runtime::MILLI_SECS_PER_BLOCK;

pub fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}
pub fn bob() -> AccountId {
	Sr25519Keyring::Bob.to_account_id()
}
pub fn charlie() -> AccountId {
	Sr25519Keyring::Charlie.to_account_id()
}
pub fn dave() -> AccountId {
	Sr25519Keyring::Dave.to_account_id()
}
pub fn eve() -> AccountId {
	Sr25519Keyring::Eve.to_account_id()
}
pub fn ferdie() -> AccountId {
	Sr25519Keyring::Ferdie.to_account_id()
}
/// Executes orders: nobody else's account, so its earnings stay out of every figure.
pub fn keeper() -> AccountId {
	Sr25519Keyring::One.to_account_id()
}
pub fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}
pub fn usdc(amount: Balance) -> Balance {
	amount * USDC_UNIT
}

pub const BTC: SegmentId = 1;
pub const ETH: SegmentId = 2;
pub const DOT: SegmentId = 3;

pub mod chain;

/// Externalities holding the `development` preset's genesis, at block 1.
pub fn new_ext() -> sp_io::TestExternalities {
	let mut ext = genesis_ext();
	ext.execute_with(|| start_block(1));
	ext
}

/// Externalities holding the `development` preset's genesis, before block 1.
pub fn genesis_ext() -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new(Default::default());
	ext.execute_with(|| {
		// A preset is a patch over the default config, as the node applies it.
		let mut config = serde_json::to_value(RuntimeGenesisConfig::default())
			.expect("the default genesis config serializes");
		merge(&mut config, presets::development_config_genesis());
		frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(
			config.to_string().into_bytes(),
		)
		.expect("the development preset builds");
	});
	ext
}

/// JSON merge patch: objects merge key by key, anything else replaces.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// Run `test` on the development genesis, then check every pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_ext().execute_with(|| {
		test();
		check_invariants();
	});
}

/// Every Bulkhead pallet's `try_state`, and each silo account holding what its books say.
pub fn check_invariants() {
	pallet_collateral_silos::Pallet::<Runtime>::do_try_state().expect("silos' invariants hold");
	pallet_execution_segments::Pallet::<Runtime>::do_try_state()
		.expect("segments' invariants hold");
	pallet_gateway::Pallet::<Runtime>::do_try_state().expect("gateway's invariants hold");
	pallet_circuit_breaker::Pallet::<Runtime>::do_try_state().expect("breaker's invariants hold");
	for silo in 1..=3 {
		assert_eq!(usdc_of(&silo_account(silo)), owed(silo), "silo {silo}");
	}
}

fn start_block(n: BlockNumber) {
	System::set_block_number(n);
	System::reset_events();
	// Aura would assert the timestamp's slot against a pre-digest; tests have no digests, so
	// the timestamp is set directly.
	pallet_timestamp::Now::<Runtime>::put(GENESIS_MS + u64::from(n - 1) * BLOCK_MS);
	AllPalletsWithSystem::on_initialize(n);
}

/// Finish this block and start the next one.
pub fn next_block() {
	let n = System::block_number();
	// The hooks that matter between test blocks: the oracle forgets who fed this block.
	// (Timestamp's would insist on an inherent the tests do not send.)
	Oracle::on_finalize(n);
	System::on_finalize(n);
	start_block(n + 1);
}

/// Advance `blocks` blocks.
pub fn advance(blocks: BlockNumber) {
	for _ in 0..blocks {
		next_block();
	}
}

/// Alice and Bob (two of the three oracle operators: a majority) feed `prices`, then the block
/// ends: one feed each per block.
pub fn feed(prices: &[(&[u8], u32)]) {
	let values: Vec<_> = prices
		.iter()
		.map(|(key, price)| (presets::oracle_key(key), Price::saturating_from_integer(*price)))
		.collect();
	// Two of the three operators: a majority, whose median is the price both fed.
	for operator in [alice(), bob()] {
		Oracle::feed_values(signed(&operator), BoundedVec::truncate_from(values.clone()))
			.expect("Alice and Bob are oracle operators");
	}
	next_block();
}

/// The market for `key` (fed last at `from`) moves to `to` as a real market does: in steps of
/// at most 9%, one every reference window of the breakers, which they accept (each step within
/// the move bound, and the reference caught up enough that the next strays less than its
/// bound). The other demo markets are fed at their genesis prices at every step, so that none
/// goes stale.
pub fn walk(key: &[u8], from: u32, to: u32) {
	let window = bulkhead_runtime::configs::DefaultThresholds::get().reference_window;
	let mut price = from;
	while price != to {
		price = if to > price {
			to.min(price + price * 9 / 100)
		} else {
			to.max(price - price * 9 / 100)
		};
		advance(window - 1);
		let mut prices = vec![(&b"BTC/USD"[..], 60_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)];
		prices.retain(|(k, _)| *k != key);
		prices.push((key, price));
		feed(&prices);
	}
}

/// Fresh prices for every demo market, at their genesis values.
pub fn feed_genesis_prices() {
	feed(&[(b"BTC/USD", 60_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
}

pub fn silo_account(silo: SiloId) -> AccountId {
	pallet_collateral_silos::Pallet::<Runtime>::account_id(silo)
}
pub fn books(silo: SiloId) -> Books {
	pallet_collateral_silos::Silos::<Runtime>::get(silo).expect("demo silo").books
}
/// What `silo` owes: its LPs, its insurance fund and every trader's margin in it.
pub fn owed(silo: SiloId) -> Balance {
	pallet_collateral_silos::Pallet::<Runtime>::owed(silo).expect("demo silo")
}
pub fn margin(silo: SiloId, who: &AccountId) -> MarginAccount {
	pallet_collateral_silos::Accounts::<Runtime>::get(silo, who).margin
}
pub fn usdc_of(who: &AccountId) -> Balance {
	pallet_assets::Pallet::<Runtime>::balance(USDC, who)
}
/// USDC's total supply.
pub fn usdc_supply() -> Balance {
	pallet_assets::Asset::<Runtime>::get(USDC).expect("USDC exists").supply
}

/// Whether `event` was deposited in this block.
pub fn has_event(event: impl Into<RuntimeEvent>) -> bool {
	let event = event.into();
	System::events().iter().any(|record| record.event == event)
}

/// A dispatch error by name: a module error's variant (also when it was decoded from an event,
/// which drops the name), anything else as it prints.
pub fn describe(error: sp_runtime::DispatchError) -> String {
	use bulkhead_runtime::{CircuitBreaker, CollateralSilos, ExecutionSegments, Gateway};
	use codec::Decode;
	use frame_support::traits::PalletInfoAccess;
	let sp_runtime::DispatchError::Module(module) = error else { return format!("{error:?}") };
	if let Some(name) = module.message {
		return name.into();
	}
	fn name<E: Decode + core::fmt::Debug>(bytes: &[u8]) -> Option<String> {
		E::decode(&mut &bytes[..]).ok().map(|e| format!("{e:?}"))
	}
	let index = usize::from(module.index);
	let bytes = &module.error[..];
	if index == CollateralSilos::index() {
		name::<pallet_collateral_silos::Error<Runtime>>(bytes)
	} else if index == ExecutionSegments::index() {
		name::<pallet_execution_segments::Error<Runtime>>(bytes)
	} else if index == Gateway::index() {
		name::<pallet_gateway::Error<Runtime>>(bytes)
	} else if index == CircuitBreaker::index() {
		name::<pallet_circuit_breaker::Error<Runtime>>(bytes)
	} else {
		None
	}
	.unwrap_or_else(|| format!("{module:?}"))
}

/// Alice and Bob feed every demo market its current price again, then the block ends: a price
/// published now, as orders fill at.
pub fn refeed() {
	feed_current();
	next_block();
}

/// Alice and Bob feed every demo market its current price again, in this block.
pub fn feed_current() {
	let values: Vec<_> = [&b"BTC/USD"[..], b"ETH/USD", b"DOT/USD"]
		.into_iter()
		.filter_map(|key| {
			let key = presets::oracle_key(key);
			Oracle::get(&key).map(|v| (key, v.value))
		})
		.collect();
	for operator in [alice(), bob()] {
		Oracle::feed_values(signed(&operator), BoundedVec::truncate_from(values.clone()))
			.expect("Alice and Bob are oracle operators");
	}
}

/// A trade through an order: `who` requests `kind` (any fill price, the segment's keeper
/// deposit as execution fee, deposited for the order and withdrawn after it), the segment's
/// delay passes, the oracle publishes its current prices again, and `who` executes the order.
/// Three blocks pass. The request's error, or the trade's if the order ended unfilled, with
/// nothing changed (blocks included); a missing or stale price as the oracle's error (no new
/// price would come to fill the order).
pub fn trade(
	who: &AccountId,
	segment: SegmentId,
	kind: pallet_execution_segments::OrderKind,
) -> sp_runtime::DispatchResult {
	frame_support::storage::with_storage_layer(|| trade_in_layer(who, segment, kind))
}

fn trade_in_layer(
	who: &AccountId,
	segment: SegmentId,
	kind: pallet_execution_segments::OrderKind,
) -> sp_runtime::DispatchResult {
	use bulkhead_runtime::ExecutionSegments;
	use pallet_execution_segments::{Event, OrderEnd, OrderKind, Side};
	let info = pallet_execution_segments::Segments::<Runtime>::get(segment);
	// Without a fresh price to publish again, nothing would come to fill the order.
	if let Some(info) = &info {
		ExecutionSegments::fresh_price(info)?;
	}
	let buy = match kind {
		OrderKind::Increase { side, .. } => side == Side::Long,
		_ => pallet_execution_segments::Positions::<Runtime>::get(segment, who)
			.is_some_and(|p| p.side == Side::Short),
	};
	let acceptable = if buy { Price::from_inner(u128::MAX) } else { Price::from_inner(0) };
	let fee = info.map_or(0, |i| i.risk.pool.keeper_deposit);
	// The fee comes from the trader's wallet and goes back there: what the trader has in the
	// silo is what the test gave it.
	let silo =
		<bulkhead_runtime::CollateralSilos as segment_interface::SiloDirectory>::silo_of(segment);
	if let Some(silo) = silo.filter(|_| fee > 0) {
		bulkhead_runtime::CollateralSilos::deposit_margin(signed(who), silo, fee)?;
	}
	ExecutionSegments::request_order(signed(who), segment, kind, acceptable, fee)?;
	let delay = pallet_execution_segments::OrderSettings::<Runtime>::get(segment).min_delay;
	advance(delay.div_ceil(BLOCK_MS) as BlockNumber);
	refeed();
	// The trader executes it, and so gets the fee back.
	ExecutionSegments::execute_order(signed(who), segment, who.clone())?;
	let ended = System::events().into_iter().find_map(|r| match r.event {
		RuntimeEvent::ExecutionSegments(Event::OrderEnded { reason, .. }) => Some(reason),
		_ => None,
	});
	if let Some(silo) = silo.filter(|_| fee > 0) {
		bulkhead_runtime::CollateralSilos::withdraw_margin(signed(who), silo, fee)?;
	}
	match ended {
		Some(OrderEnd::Failed(error)) => Err(error),
		Some(_) => Err(sp_runtime::DispatchError::Other("the order expired unfilled")),
		None => Ok(()),
	}
}

/// An LP deposit or withdrawal through an order: `who` requests `kind` in `silo` (the
/// segment's keeper deposit as fee, from `who`'s wallet), the segment's delay passes, the
/// oracle publishes its current prices again, and `who` executes the order (its fee comes back
/// as free margin, withdrawn to the wallet). Three blocks pass. The request's error, or the
/// fill's if the order ended unfilled, with nothing changed (blocks included).
pub fn lp_order(
	who: &AccountId,
	silo: SiloId,
	kind: pallet_collateral_silos::LpOrderKind,
) -> sp_runtime::DispatchResult {
	frame_support::storage::with_storage_layer(|| lp_order_in_layer(who, silo, kind))
}

fn lp_order_in_layer(
	who: &AccountId,
	silo: SiloId,
	kind: pallet_collateral_silos::LpOrderKind,
) -> sp_runtime::DispatchResult {
	use bulkhead_runtime::CollateralSilos;
	use pallet_collateral_silos::{Event, LpOrderEnd};
	let segment = pallet_collateral_silos::Silos::<Runtime>::get(silo).map(|info| info.segment);
	let fee = segment
		.and_then(pallet_execution_segments::Segments::<Runtime>::get)
		.map_or(0, |info| info.risk.pool.keeper_deposit);
	CollateralSilos::request_lp_order(signed(who), silo, kind, fee)?;
	let delay = segment.map_or(0, |segment| {
		pallet_execution_segments::OrderSettings::<Runtime>::get(segment).min_delay
	});
	advance(delay.div_ceil(BLOCK_MS) as BlockNumber);
	refeed();
	CollateralSilos::execute_lp_order(signed(who), silo, who.clone())?;
	// The order's own outcome: the last of the two events its execution emits.
	let ended = System::events().into_iter().rev().find_map(|r| match r.event {
		RuntimeEvent::CollateralSilos(Event::LpOrderEnded { reason, .. }) => Some(Some(reason)),
		RuntimeEvent::CollateralSilos(Event::LpOrderExecuted { .. }) => Some(None),
		_ => None,
	});
	// Filled, the fee came back to `who` as its executor.
	if fee > 0 && ended == Some(None) {
		CollateralSilos::withdraw_margin(signed(who), silo, fee)?;
	}
	match ended.flatten() {
		Some(LpOrderEnd::Failed(error)) => Err(error),
		Some(_) => Err(sp_runtime::DispatchError::Other("the LP order ended unfilled")),
		None => Ok(()),
	}
}

/// [`lp_order`]: deposit `amount` into `silo`'s pool.
pub fn provide(who: &AccountId, silo: SiloId, amount: Balance) -> sp_runtime::DispatchResult {
	lp_order(who, silo, pallet_collateral_silos::LpOrderKind::Provide(amount))
}

/// [`lp_order`]: burn `shares` of `silo`'s pool.
pub fn redeem(who: &AccountId, silo: SiloId, shares: Balance) -> sp_runtime::DispatchResult {
	lp_order(who, silo, pallet_collateral_silos::LpOrderKind::Withdraw(shares))
}

/// [`trade`]: open or increase.
pub fn open(
	who: &AccountId,
	segment: SegmentId,
	side: pallet_execution_segments::Side,
	size: Balance,
	margin: Balance,
) -> sp_runtime::DispatchResult {
	trade(who, segment, pallet_execution_segments::OrderKind::Increase { side, size, margin })
}

/// [`trade`]: decrease.
pub fn decrease(who: &AccountId, segment: SegmentId, size: Balance) -> sp_runtime::DispatchResult {
	trade(who, segment, pallet_execution_segments::OrderKind::Decrease { size })
}

/// [`trade`]: close.
pub fn close(who: &AccountId, segment: SegmentId) -> sp_runtime::DispatchResult {
	trade(who, segment, pallet_execution_segments::OrderKind::Close)
}
