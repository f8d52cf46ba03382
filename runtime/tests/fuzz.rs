//! Bad input: arbitrary bytes decoded into calls of the four Bulkhead pallets and dispatched
//! from arbitrary origins (root, none, a dev account, a stranger) on a live demo state, and
//! boundary values for every numeric argument.
//!
//! This is a structured random-input harness on proptest rather than cargo-fuzz: libFuzzer
//! needs a nightly toolchain and compiles C++, which this project's build does not take on.
//! Each input is a pallet index and a call index followed by bytes drawn from raw noise and
//! from encodings that matter (0, 1, `u128::MAX`, `u32::MAX`, demo ids, dev accounts), so most
//! inputs decode into real calls with hostile arguments. After every call: no panic, every
//! invariant holds, USDC is conserved, and a call that failed left storage exactly as it was.
//!
//! CI runs `PROPTEST_CASES` inputs (512 unless set, from a fixed seed); `docs/reliability.md`
//! records a long run.

// Test code: helpers outside `#[test]` functions fail loudly too (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common;

use bulkhead_runtime::genesis_config_presets as presets;
use bulkhead_runtime::{
	AccountId, CircuitBreaker, CollateralSilos, ExecutionSegments, Gateway, Price, Runtime,
	RuntimeCall, RuntimeOrigin, System,
};
use codec::{DecodeLimit, Encode};
use common::{chain::*, *};
use frame_support::traits::PalletInfoAccess;
use pallet_collateral_silos::LpOrderKind;
use pallet_execution_segments::{OrderKind, Side};
use proptest::{prelude::*, test_runner::TestRunner};
use sp_runtime::{traits::Dispatchable, StateVersion};
use std::{cell::RefCell, collections::BTreeMap, sync::OnceLock};

/// The demo chain with trading under way: fresh prices, margin and positions in every
/// segment, a queued gateway transfer with one approval. Built once, copied per input.
fn demo_state() -> sp_io::TestExternalities {
	static DEMO: OnceLock<Snapshot> = OnceLock::new();
	from_snapshot(&DEMO, || {
		let mut ext = new_ext();
		ext.execute_with(|| {
			feed_genesis_prices();
			for (who, segment, side) in [
				(bob(), BTC, Side::Long),
				(charlie(), BTC, Side::Short),
				(dave(), ETH, Side::Long),
				(eve(), DOT, Side::Short),
			] {
				CollateralSilos::deposit_margin(signed(&who), segment, usdc(100_000)).unwrap();
				open(&who, segment, side, usdc(200_000), usdc(25_000)).unwrap();
			}
			let route = pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).unwrap();
			Gateway::request_transfer(signed(&bob()), route, usdc(20_000)).unwrap();
			Gateway::approve_transfer(signed(&alice()), 0).unwrap();
			check_invariants();
		});
		ext
	})
}

/// Alice..Ferdie, by index (wrapping).
fn dev_account(i: usize) -> AccountId {
	let accounts = [alice(), bob(), charlie(), dave(), eve(), ferdie()];
	accounts[i % accounts.len()].clone()
}

/// Who dispatches.
#[derive(Clone, Debug)]
enum Who {
	Root,
	Unsigned,
	Dev(u8),
	Stranger([u8; 32]),
}

impl Who {
	fn origin(&self) -> RuntimeOrigin {
		match self {
			Who::Root => RuntimeOrigin::root(),
			Who::Unsigned => RuntimeOrigin::none(),
			Who::Dev(i) => signed(&dev_account(usize::from(*i))),
			Who::Stranger(raw) => signed(&AccountId::from(*raw)),
		}
	}
}

fn pallet_indices() -> [u8; 4] {
	[
		CollateralSilos::index(),
		ExecutionSegments::index(),
		Gateway::index(),
		CircuitBreaker::index(),
	]
	.map(|i| u8::try_from(i).expect("pallet indices fit a byte"))
}

/// Bytes for a call's arguments: noise, and encodings that matter.
fn arguments() -> impl Strategy<Value = Vec<u8>> {
	let dev_account = (0..6usize).prop_map(|i| dev_account(i).encode());
	let piece = prop_oneof![
		8 => any::<u8>().prop_map(|b| vec![b]),
		2 => prop::collection::vec(any::<u8>(), 1..16),
		1 => Just(u128::MAX.encode()),
		1 => Just(0u128.encode()),
		1 => Just(1u128.encode()),
		1 => (1..=1_000_000u128).prop_map(|n| usdc(n).encode()),
		1 => Just(u32::MAX.encode()),
		1 => (0..=4u32).prop_map(|id| id.encode()),
		1 => Just(0u64.encode()),
		1 => dev_account,
	];
	prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// Amounts: the boundaries, and everyday ones.
fn amount() -> impl Strategy<Value = u128> {
	prop_oneof![
		1 => Just(0u128),
		1 => Just(1u128),
		1 => Just(u128::MAX),
		1 => Just(u128::MAX / 2 + 1),
		4 => (1..=3_000_000u128).prop_map(usdc),
	]
}
/// What an order asks for, with boundary and everyday amounts.
fn kind() -> impl Strategy<Value = pallet_execution_segments::OrderKind> {
	let side = prop_oneof![Just(Side::Long), Just(Side::Short)];
	prop_oneof![
		(side, amount(), amount()).prop_map(|(side, size, margin)| OrderKind::Increase {
			side,
			size,
			margin
		}),
		amount().prop_map(|size| OrderKind::Decrease { size }),
		Just(OrderKind::Close),
	]
}
/// Acceptable prices: none at all, any at all, and everyday ones.
fn price() -> impl Strategy<Value = Price> {
	prop_oneof![
		1 => Just(Price::from_inner(0)),
		1 => Just(Price::from_inner(u128::MAX)),
		2 => (1..=100_000u32).prop_map(Price::from_u32),
	]
}
/// Ids: the demo's, the ones next to them, and the largest.
fn id() -> impl Strategy<Value = u32> {
	prop_oneof![4 => 1..=3u32, 1 => Just(0u32), 1 => Just(4u32), 1 => Just(u32::MAX)]
}
fn transfer() -> impl Strategy<Value = u64> {
	prop_oneof![3 => Just(0u64), 1 => 1..=3u64, 1 => Just(u64::MAX)]
}
fn account() -> impl Strategy<Value = AccountId> {
	prop_oneof![
		5 => (0..6usize).prop_map(dev_account),
		1 => any::<[u8; 32]>().prop_map(AccountId::from),
	]
}

/// A well-formed call to one of the four pallets with hostile arguments. Calls whose
/// arguments are structs start from the demo's values; byte mutations change them later.
fn typed_call() -> impl Strategy<Value = RuntimeCall> {
	use pallet_circuit_breaker::Call as B;
	use pallet_collateral_silos::Call as S;
	use pallet_execution_segments::Call as X;
	use pallet_gateway::Call as G;
	let status = prop_oneof![
		Just(pallet_collateral_silos::SiloStatus::Active),
		Just(pallet_collateral_silos::SiloStatus::Frozen)
	];
	let silos = prop_oneof![
		(id(), id(), amount(), amount()).prop_map(|(silo, segment, deposit_cap, min_deposit)| {
			S::create_silo { silo, segment, asset: USDC, deposit_cap, min_deposit }
		}),
		(id(), amount(), amount(), status).prop_map(|(silo, deposit_cap, min_deposit, status)| {
			S::set_silo_params { silo, deposit_cap, min_deposit, status }
		}),
		(id(), amount(), amount()).prop_map(|(silo, amount, execution_fee)| S::request_lp_order {
			silo,
			kind: pallet_collateral_silos::LpOrderKind::Provide(amount),
			execution_fee
		}),
		(id(), amount(), amount()).prop_map(|(silo, shares, execution_fee)| S::request_lp_order {
			silo,
			kind: pallet_collateral_silos::LpOrderKind::Withdraw(shares),
			execution_fee
		}),
		id().prop_map(|silo| S::cancel_lp_order { silo }),
		id().prop_map(|silo| S::execute_lp_order {
			silo,
			who: sp_keyring::Sr25519Keyring::Bob.to_account_id()
		}),
		(id(), amount()).prop_map(|(silo, amount)| S::deposit_margin { silo, amount }),
		(id(), amount()).prop_map(|(silo, amount)| S::withdraw_margin { silo, amount }),
		(id(), amount()).prop_map(|(silo, amount)| S::fund_insurance { silo, amount }),
	]
	.prop_map(RuntimeCall::CollateralSilos)
	.boxed();
	let segments = prop_oneof![
		(id(), id()).prop_map(|(segment, silo)| X::create_segment {
			segment,
			silo,
			oracle_key: bulkhead_runtime::genesis_config_presets::oracle_key(b"BTC/USD"),
			risk: bulkhead_runtime::genesis_config_presets::demo_risk(),
		}),
		id().prop_map(|segment| X::set_risk_params {
			segment,
			risk: bulkhead_runtime::genesis_config_presets::demo_risk()
		}),
		(id(), kind(), price(), amount()).prop_map(
			|(segment, kind, acceptable_price, execution_fee)| X::request_order {
				segment,
				kind,
				acceptable_price,
				execution_fee,
			}
		),
		(id(), account()).prop_map(|(segment, who)| X::execute_order { segment, who }),
		id().prop_map(|segment| X::cancel_order { segment }),
		id().prop_map(|segment| X::set_order_params {
			segment,
			params: pallet_execution_segments::OrderParams { min_delay: 0, window: 1 }
		}),
		(id(), amount()).prop_map(|(segment, amount)| X::add_margin { segment, amount }),
		(id(), amount()).prop_map(|(segment, amount)| X::remove_margin { segment, amount }),
		(id(), account()).prop_map(|(segment, who)| X::liquidate { segment, who }),
	]
	.prop_map(RuntimeCall::ExecutionSegments)
	.boxed();
	let gateway = prop_oneof![
		(id(), id()).prop_map(|(from, to)| G::open_route {
			from,
			to,
			limits: bulkhead_runtime::genesis_config_presets::demo_route()
		}),
		id().prop_map(|route| G::close_route { route }),
		prop_oneof![Just(0u32), Just(1), Just(2), Just(3), Just(u32::MAX)]
			.prop_map(|threshold| G::set_approval_threshold { threshold }),
		(id(), amount()).prop_map(|(route, amount)| G::request_transfer { route, amount }),
		transfer().prop_map(|transfer| G::approve_transfer { transfer }),
		transfer().prop_map(|transfer| G::veto_transfer { transfer }),
		transfer().prop_map(|transfer| G::execute_transfer { transfer }),
		transfer().prop_map(|transfer| G::cancel_transfer { transfer }),
	]
	.prop_map(RuntimeCall::Gateway)
	.boxed();
	let breaker = prop_oneof![
		id().prop_map(|segment| B::set_thresholds {
			segment,
			thresholds: bulkhead_runtime::configs::DefaultThresholds::get()
		}),
		id().prop_map(|segment| B::trip { segment }),
		id().prop_map(|segment| B::reset { segment }),
	]
	.prop_map(RuntimeCall::CircuitBreaker)
	.boxed();
	prop_oneof![silos, segments, gateway, breaker]
}

/// One input: who, and the bytes of one call to one of the four pallets: a well-formed call,
/// the same with bytes overwritten, or a pallet and call index followed by noise.
fn input() -> impl Strategy<Value = (Who, Vec<u8>)> {
	let who = prop_oneof![
		2 => Just(Who::Root),
		1 => Just(Who::Unsigned),
		6 => (0..6u8).prop_map(Who::Dev),
		1 => any::<[u8; 32]>().prop_map(Who::Stranger),
	];
	let mutations = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4);
	let mutated = (typed_call(), mutations).prop_map(|(call, mutations)| {
		let mut bytes = call.encode();
		for (at, byte) in mutations {
			// The pallet index stays: the mutation is about the call and its arguments.
			let at = 1 + at.index(bytes.len() - 1);
			bytes[at] = byte;
		}
		bytes
	});
	let noise = (0..4usize, 0..12u8, arguments())
		.prop_map(|(pallet, call, args)| [vec![pallet_indices()[pallet], call], args].concat());
	let call = prop_oneof![
		5 => typed_call().prop_map(|call| call.encode()),
		2 => mutated,
		2 => noise,
	];
	(who, call)
}

#[derive(Default)]
struct Tally {
	inputs: u64,
	undecodable: u64,
	outcomes: BTreeMap<String, u64>,
}

/// Decode `bytes`, dispatch the call from `who`, and check everything; the outcome.
fn dispatch(who: &Who, bytes: &[u8], tally: &mut Tally) {
	tally.inputs += 1;
	// Trailing bytes are ignored: the call is what its prefix decodes to.
	let Ok(call) = RuntimeCall::decode_with_depth_limit(64, &mut &bytes[..]) else {
		tally.undecodable += 1;
		return;
	};
	let name = call_name(&call);
	let root_before = sp_io::storage::root(StateVersion::V1);
	let supply = usdc_supply();
	let events_before = System::event_count();
	let result = call.clone().dispatch(who.origin());
	match result {
		Ok(_) => {},
		Err(error) => assert_eq!(
			sp_io::storage::root(StateVersion::V1),
			root_before,
			"{call:?} from {who:?} failed with {error:?} but changed storage"
		),
	}
	check_invariants();
	assert_eq!(usdc_supply(), supply, "{call:?} changed USDC's supply");
	assert_eq!(usdc_held(), supply, "after {call:?}, USDC held differs from its supply");
	if result.is_ok() {
		assert!(System::event_count() > events_before, "{call:?} succeeded without an event");
	}
	let outcome = match result {
		Ok(_) => "ok".to_string(),
		Err(error) => describe(error.error),
	};
	*tally.outcomes.entry(format!("{name}: {outcome}")).or_default() += 1;
}

fn call_name(call: &RuntimeCall) -> String {
	use frame_support::traits::GetCallMetadata;
	let metadata = call.get_call_metadata();
	format!("{}::{}", metadata.pallet_name, metadata.function_name)
}

fn usdc_held() -> u128 {
	pallet_assets::Account::<Runtime>::iter_prefix_values(USDC)
		.map(|a| a.balance)
		.sum()
}

/// Each input is a short run of calls (up to 6) on the demo state, so later calls meet what
/// earlier ones did.
#[test]
fn arbitrary_calls_from_arbitrary_origins_never_panic_or_break_an_invariant() {
	let tally = RefCell::new(Tally::default());
	let mut runner = TestRunner::new(proptest_config(512, 0x6675_7a7a));
	let result = runner.run(&prop::collection::vec(input(), 1..6), |inputs| {
		demo_state().execute_with(|| {
			for (who, bytes) in &inputs {
				dispatch(who, bytes, &mut tally.borrow_mut());
			}
		});
		Ok(())
	});
	let tally = tally.into_inner();
	let decoded = tally.inputs - tally.undecodable;
	println!("{} calls, {} undecodable, {decoded} dispatched", tally.inputs, tally.undecodable);
	let mut by_call: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
	for (key, n) in &tally.outcomes {
		let (call, outcome) = key.split_once(": ").expect("call: outcome");
		let entry = by_call.entry(call).or_default();
		if outcome == "ok" {
			entry.0 += n;
		} else {
			entry.1 += n;
		}
	}
	for (call, (ok, failed)) in &by_call {
		println!("  {call:<42} ok {ok:>7}  failed {failed:>7}");
	}
	if let Err(failure) = result {
		panic!("{failure}");
	}
	// The harness reached the pallets: most inputs decode, and every pallet's calls ran.
	assert!(decoded * 2 > tally.inputs, "most inputs should decode into calls");
	for pallet in ["CollateralSilos", "ExecutionSegments", "Gateway", "CircuitBreaker"] {
		assert!(
			by_call.keys().any(|call| call.starts_with(pallet)),
			"no {pallet} call was dispatched"
		);
	}
	assert!(by_call.values().any(|(ok, _)| *ok > 0), "no call succeeded");
}

/// Feed `price` for BTC/USD (from Alice and Bob, a majority of the operators), letting it move
/// any distance first.
fn feed_btc(price: Price) {
	let mut thresholds = pallet_circuit_breaker::Pallet::<Runtime>::breaker(BTC).thresholds;
	thresholds.max_price_move = sp_runtime::Permill::from_percent(100);
	thresholds.max_price_deviation = sp_runtime::Permill::from_percent(100);
	CircuitBreaker::set_thresholds(RuntimeOrigin::root(), BTC, thresholds).unwrap();
	let key = bulkhead_runtime::genesis_config_presets::oracle_key(b"BTC/USD");
	for operator in [alice(), bob()] {
		bulkhead_runtime::Oracle::feed_values(
			signed(&operator),
			sp_runtime::BoundedVec::truncate_from(vec![(key.clone(), price)]),
		)
		.unwrap();
	}
}

/// Every numeric boundary gives a typed error naming what is wrong, or (where the value is
/// legitimately valid) succeeds; never a panic, a wrap or a broken invariant. Each case runs on
/// a fresh demo state, optionally after `setup`.
#[test]
fn boundary_values_give_typed_errors() {
	use pallet_collateral_silos::Call as S;
	use pallet_execution_segments::Call as X;
	use pallet_gateway::Call as G;
	let max = u128::MAX;
	let bob_ = || Who::Dev(1);
	let x = RuntimeCall::ExecutionSegments;
	let s = RuntimeCall::CollateralSilos;
	let g = RuntimeCall::Gateway;
	// Trades are orders: the harness fills each order it requests at the next price.
	let order = |kind| X::request_order {
		segment: BTC,
		kind,
		acceptable_price: match kind {
			OrderKind::Increase { side: Side::Long, .. } => Price::from_inner(u128::MAX),
			// Bob's is a long, Charlie's a short.
			_ => Price::from_inner(0),
		},
		execution_fee: presets::demo_risk().pool.keeper_deposit,
	};
	let open = |size, margin| x(order(OrderKind::Increase { side: Side::Long, size, margin }));
	let decrease = |size| x(order(OrderKind::Decrease { size }));
	let close = || x(order(OrderKind::Close));
	let close_short = || {
		x(X::request_order {
			segment: BTC,
			kind: OrderKind::Close,
			acceptable_price: Price::from_inner(u128::MAX),
			execution_fee: presets::demo_risk().pool.keeper_deposit,
		})
	};
	let none = || {};
	// Ferdie (`Dev(5)`) holds no margin in the demo: his orders need some to escrow.
	let funded = || {
		CollateralSilos::deposit_margin(signed(&ferdie()), BTC, usdc(10_000)).unwrap();
	};
	let zero_price = || feed_btc(Price::from_inner(0));
	let funded_zero_price = || {
		funded();
		zero_price();
	};
	let max_price = || feed_btc(Price::from_inner(u128::MAX));
	let tiny_price = || feed_btc(Price::from_inner(1));
	#[allow(clippy::type_complexity)]
	let cases: Vec<(&str, &dyn Fn(), Who, RuntimeCall, &str)> = vec![
		("deposit 0", &none, bob_(), s(S::deposit_margin { silo: BTC, amount: 0 }), "ZeroAmount"),
		// Bob has margin in BTC: a top-up of 1 unit creates nothing. Ferdie has none: his first
		// deposit must bring the silo's minimum.
		("deposit 1", &none, bob_(), s(S::deposit_margin { silo: BTC, amount: 1 }), "ok"),
		(
			"first deposit under the minimum",
			&none,
			Who::Dev(5),
			s(S::deposit_margin { silo: BTC, amount: presets::MIN_DEPOSIT - 1 }),
			"DepositBelowMinimum",
		),
		(
			"first deposit of the minimum",
			&none,
			Who::Dev(5),
			s(S::deposit_margin { silo: BTC, amount: presets::MIN_DEPOSIT }),
			"ok",
		),
		(
			"deposit max",
			&none,
			bob_(),
			s(S::deposit_margin { silo: BTC, amount: max }),
			"Arithmetic(Overflow)",
		),
		("withdraw 0", &none, bob_(), s(S::withdraw_margin { silo: BTC, amount: 0 }), "ZeroAmount"),
		("withdraw 1", &none, bob_(), s(S::withdraw_margin { silo: BTC, amount: 1 }), "ok"),
		(
			"withdraw max",
			&none,
			bob_(),
			s(S::withdraw_margin { silo: BTC, amount: max }),
			"InsufficientFreeMargin",
		),
		(
			"provide 0",
			&none,
			bob_(),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Provide(0),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"ZeroAmount",
		),
		(
			"provide 1",
			&none,
			bob_(),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Provide(1),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"DepositBelowMinimum",
		),
		(
			"provide the minimum",
			&none,
			bob_(),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Provide(presets::MIN_DEPOSIT),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"ok",
		),
		(
			"provide max",
			&none,
			bob_(),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Provide(max),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"Arithmetic(Overflow)",
		),
		(
			"redeem 0",
			&none,
			Who::Dev(0),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Withdraw(0),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"ZeroAmount",
		),
		(
			"redeem 1",
			&none,
			Who::Dev(0),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Withdraw(1),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"ok",
		),
		(
			"redeem max",
			&none,
			Who::Dev(0),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Withdraw(max),
				execution_fee: presets::KEEPER_DEPOSIT,
			}),
			"InsufficientShares",
		),
		(
			"LP order paying less than the keeper deposit",
			&none,
			bob_(),
			s(S::request_lp_order {
				silo: BTC,
				kind: LpOrderKind::Provide(presets::MIN_DEPOSIT),
				execution_fee: presets::KEEPER_DEPOSIT - 1,
			}),
			"ExecutionFeeTooLow",
		),
		("cancel no LP order", &none, bob_(), s(S::cancel_lp_order { silo: BTC }), "NoLpOrder"),
		(
			"execute no LP order",
			&none,
			bob_(),
			s(S::execute_lp_order {
				silo: BTC,
				who: sp_keyring::Sr25519Keyring::Bob.to_account_id(),
			}),
			"NoLpOrder",
		),
		("insure 0", &none, bob_(), s(S::fund_insurance { silo: BTC, amount: 0 }), "ZeroAmount"),
		(
			"insure max",
			&none,
			bob_(),
			s(S::fund_insurance { silo: BTC, amount: max }),
			"Arithmetic(Overflow)",
		),
		(
			"cap max",
			&none,
			Who::Root,
			s(S::set_silo_params {
				silo: BTC,
				deposit_cap: max,
				min_deposit: bulkhead_runtime::genesis_config_presets::MIN_DEPOSIT,
				status: pallet_collateral_silos::SiloStatus::Active,
			}),
			"ok",
		),
		("open size 0", &funded, Who::Dev(5), open(0, usdc(1_000)), "ZeroSize"),
		("open margin 0", &funded, Who::Dev(5), open(usdc(1_000), 0), "MarginBelowCharges"),
		("open 1 unit", &funded, Who::Dev(5), open(1, 1), "PositionBelowMinimum"),
		(
			"open under the minimum",
			&funded,
			Who::Dev(5),
			open(presets::MIN_POSITION_SIZE - 1, usdc(1_000)),
			"PositionBelowMinimum",
		),
		("open size max", &funded, Who::Dev(5), open(max, usdc(1_000)), "Arithmetic(Overflow)"),
		("open margin max", &none, Who::Dev(5), open(usdc(1_000), max), "Arithmetic(Overflow)"),
		("open both max", &none, Who::Dev(5), open(max, max), "Arithmetic(Overflow)"),
		("open 10.01x", &funded, Who::Dev(5), open(usdc(10_010), usdc(1_000)), "LeverageTooHigh"),
		("open 1000x", &funded, Who::Dev(5), open(usdc(1_000_000), usdc(1_000)), "LeverageTooHigh"),
		("decrease 0", &none, bob_(), decrease(0), "ZeroSize"),
		("decrease 1", &none, bob_(), decrease(1), "ok"),
		("decrease max", &none, bob_(), decrease(max), "DecreaseExceedsSize"),
		("add margin 0", &none, bob_(), x(X::add_margin { segment: BTC, amount: 0 }), "ZeroAmount"),
		(
			"add margin max",
			&none,
			bob_(),
			x(X::add_margin { segment: BTC, amount: max }),
			"Arithmetic(Overflow)",
		),
		(
			"remove margin 0",
			&none,
			bob_(),
			x(X::remove_margin { segment: BTC, amount: 0 }),
			"ZeroAmount",
		),
		(
			"remove margin max",
			&none,
			bob_(),
			x(X::remove_margin { segment: BTC, amount: max }),
			"InsufficientMargin",
		),
		(
			"price 0: open",
			&funded_zero_price,
			Who::Dev(5),
			open(usdc(1_000), usdc(500)),
			"PriceUnavailable",
		),
		("price 0: close long", &zero_price, bob_(), close(), "PriceUnavailable"),
		(
			"price 0: liquidate long",
			&zero_price,
			Who::Dev(4),
			x(X::liquidate { segment: BTC, who: bob() }),
			"PriceUnavailable",
		),
		("price 0: close short", &zero_price, Who::Dev(2), close_short(), "PriceUnavailable"),
		("price 1e-18: close short", &tiny_price, Who::Dev(2), close_short(), "ok"),
		(
			"price max: open",
			&max_price,
			Who::Dev(5),
			open(usdc(1_000), usdc(500)),
			"SegmentSevered",
		),
		("price max: close long", &max_price, bob_(), close(), "ok"),
		("price max: close short", &max_price, Who::Dev(2), close_short(), "ok"),
		// The breaker rejects a price that far away: liquidations go by the last price it
		// accepted, at which Charlie's short is healthy.
		(
			"price max: liquidate short",
			&max_price,
			Who::Dev(4),
			x(X::liquidate { segment: BTC, who: charlie() }),
			"NotLiquidatable",
		),
		("request 0", &none, bob_(), g(G::request_transfer { route: 0, amount: 0 }), "ZeroAmount"),
		(
			"request max",
			&none,
			bob_(),
			g(G::request_transfer { route: 0, amount: max }),
			"ExceedsWindowLimit",
		),
		(
			"approve max id",
			&none,
			Who::Dev(0),
			g(G::approve_transfer { transfer: u64::MAX }),
			"UnknownTransfer",
		),
		(
			"threshold 0",
			&none,
			Who::Root,
			g(G::set_approval_threshold { threshold: 0 }),
			"InvalidThreshold",
		),
		(
			"threshold max",
			&none,
			Who::Root,
			g(G::set_approval_threshold { threshold: u32::MAX }),
			"InvalidThreshold",
		),
	];
	let mut wrong = Vec::new();
	for (label, setup, who, call, expected) in &cases {
		demo_state().execute_with(|| {
			setup();
			check_invariants();
			let mut tally = Tally::default();
			// `dispatch` checks the invariants, conservation and rollback on failure.
			dispatch(who, &call.encode(), &mut tally);
			let (outcome, _) = tally.outcomes.into_iter().next().expect("the call decodes");
			let mut outcome = outcome.split_once(": ").expect("call: outcome").1.to_string();
			// An order requested: what its fill did, at the next price.
			if outcome == "ok"
				&& matches!(call, RuntimeCall::ExecutionSegments(X::request_order { .. }))
			{
				outcome = fill(who);
			}
			if outcome != *expected {
				wrong.push(format!("{label}: expected {expected}, got {outcome}"));
			}
		});
	}
	assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The order `who` requested in BTC, filled at the next price: the segment's delay passes,
/// the oracle publishes its prices again, and a keeper executes it. "ok", or the error its trade
/// failed with.
fn fill(who: &Who) -> String {
	let Who::Dev(i) = who else { panic!("orders come from dev accounts") };
	let delay = pallet_execution_segments::OrderSettings::<Runtime>::get(BTC).min_delay;
	advance(delay.div_ceil(BLOCK_MS) as u32);
	refeed();
	let mut tally = Tally::default();
	let call = RuntimeCall::ExecutionSegments(pallet_execution_segments::Call::execute_order {
		segment: BTC,
		who: dev_account(usize::from(*i)),
	});
	dispatch(&Who::Stranger([7; 32]), &call.encode(), &mut tally);
	assert!(tally.outcomes.keys().all(|k| k.ends_with(": ok")), "{:?}", tally.outcomes);
	let ended = System::events().into_iter().find_map(|r| match r.event {
		bulkhead_runtime::RuntimeEvent::ExecutionSegments(
			pallet_execution_segments::Event::OrderEnded { reason, .. },
		) => Some(reason),
		_ => None,
	});
	match ended {
		None => "ok".to_string(),
		Some(pallet_execution_segments::OrderEnd::Failed(error)) => describe(error),
		Some(other) => format!("{other:?}"),
	}
}

/// Found by the fuzz harness (shrunk from a longer input): root creates a silo for a segment
/// that does not exist yet, and an LP provides liquidity to it (now an LP order's escrow). The breaker recorded the flow
/// for a segment it did not count as existing, and its `try_state` failed. The breaker now
/// guards every segment a silo was created for.
#[test]
fn regression_liquidity_into_a_silo_whose_segment_does_not_exist_yet() {
	let cases = [
		(
			Who::Root,
			vec![
				20, 0, 255, 255, 255, 255, 0, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255, 255, 255,
				255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
				// `min_deposit`, which `create_silo` has taken since: 1 USDC.
				64, 66, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			],
		),
		(
			Who::Dev(0),
			// Since spec 110 liquidity comes in through an LP order (`request_lp_order`,
			// `Provide` of 1 USDC, no fee: the segment does not exist), which takes the amount
			// into the silo at once.
			[
				vec![20, 10, 255, 255, 255, 255, 0],
				1_000_000u128.to_le_bytes().to_vec(),
				0u128.to_le_bytes().to_vec(),
			]
			.concat(),
		),
	];
	demo_state().execute_with(|| {
		let mut tally = Tally::default();
		for (who, bytes) in &cases {
			dispatch(who, bytes, &mut tally);
		}
		// Both calls decoded and succeeded, and the breaker watches the new silo's flows: the
		// deposit is the LP's principal there.
		assert_eq!(tally.outcomes.values().sum::<u64>(), 2);
		assert!(tally.outcomes.keys().all(|k| k.ends_with(": ok")), "{:?}", tally.outcomes);
		let flow = pallet_collateral_silos::Accounts::<Runtime>::get(u32::MAX, dev_account(0)).flow;
		assert_eq!(flow.principal, usdc(1));
	});
}
