//! Benchmarks for every call and for the oracle hook, each driven down its most expensive path:
//! funding accrued over several blocks on a lopsided book, an increase rather than an open, and
//! decreases, closes and liquidations that leave bad debt the insurance fund cannot cover, so a
//! runtime whose breaker trips on bad debt (Bulkhead's does) pays for the trip inside the call.

use super::*;
use crate::Pallet as ExecutionSegments;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::{Pallet as System, RawOrigin};
use segment_interface::{
	Balance, MarketStatus, Moment, OracleKey, Price, PricePoint, SegmentId, SiloId,
};
use sp_runtime::{BoundedVec, Perbill, Permill};

/// What the benchmarks need from outside this pallet: silos, margin and prices.
pub trait BenchmarkHelper<AccountId> {
	/// Create the silo that backs `segment`, with `liquidity` in its LP pool and no insurance,
	/// and return its id.
	fn create_silo(segment: SegmentId, liquidity: Balance) -> SiloId;
	/// Give `who` `amount` of free margin in the silo that backs `segment`.
	fn fund_margin(segment: SegmentId, who: &AccountId, amount: Balance);
	/// Make `price` the oracle's current price for `key`, as if fed in an earlier block: the
	/// breaker is not told.
	fn set_price(key: &OracleKey, price: Price);
	/// The last price the breaker was told for `segment`.
	fn noted_price(segment: SegmentId) -> Option<Price>;
	/// Set the chain's clock to `now` (milliseconds).
	fn set_now(now: Moment);
}

/// Where the benchmarks' clock starts: late enough for every remembered price to lie before it.
const NOW: Moment = 1_000_000;

/// The first segment the benchmarks create, clear of any a genesis preset holds.
const SEGMENT: SegmentId = 1_000;
/// The margin behind each benchmark position; positions are five times it.
const MARGIN: Balance = 1_000_000_000_000;
const SIZE: Balance = 5 * MARGIN;
/// Blocks of funding every benchmark accrues.
const BLOCKS: u32 = 10;

fn key() -> OracleKey {
	b"BENCH/USD".to_vec().try_into().expect("nine bytes; qed")
}

fn risk() -> RiskParams {
	RiskParams {
		initial_margin: Permill::from_percent(10),
		maintenance_margin: Permill::from_percent(5),
		max_leverage: 10,
		liquidation_fee: Permill::from_percent(1),
		max_open_interest: Balance::MAX,
		max_oi_share: Permill::from_percent(50),
		max_oracle_age: 3_600_000,
		funding_rate: Perbill::from_parts(100_000),
		min_position_size: 1,
		// Every charge a trade can pay: fees, impact, borrowing, a keeper deposit.
		pool: PoolParams::with_defaults(1_000 * SIZE, MARGIN / 100),
	}
}

/// Segment `segment` on `key()`, its silo holding a pool far above any benchmark's open
/// interest, at price 100 from block 1.
fn market<T: Config>(segment: SegmentId) {
	System::<T>::set_block_number(1u32.into());
	T::BenchmarkHelper::set_now(NOW);
	let silo = T::BenchmarkHelper::create_silo(segment, 1_000 * SIZE);
	ExecutionSegments::<T>::do_create_segment(segment, silo, key(), risk())
		.expect("a fresh segment on a fresh silo; qed");
	T::BenchmarkHelper::set_price(&key(), Price::from_u32(100));
}

/// A trader holding a long of `SIZE` behind `MARGIN`, with `spare` more free margin, after
/// `BLOCKS` of funding on a book that is all long.
fn long<T: Config>(segment: SegmentId, spare: Balance) -> T::AccountId {
	let trader: T::AccountId = whitelisted_caller();
	T::BenchmarkHelper::fund_margin(segment, &trader, MARGIN + spare);
	let any = Price::from_inner(u128::MAX);
	ExecutionSegments::<T>::do_open_position(
		segment,
		Segments::<T>::get(segment).expect("created; qed"),
		&trader,
		Side::Long,
		SIZE,
		MARGIN,
		Price::from_u32(100),
		any,
	)
	.expect("5x on a fresh market; qed");
	System::<T>::set_block_number((1 + BLOCKS).into());
	trader
}

/// `who` requests `kind` at the least execution fee (funded), any price acceptable.
fn request<T: Config>(segment: SegmentId, who: &T::AccountId, kind: OrderKind, buy: bool) {
	let fee = risk().pool.keeper_deposit;
	T::BenchmarkHelper::fund_margin(segment, who, fee);
	let acceptable = if buy { Price::from_inner(u128::MAX) } else { Price::from_inner(0) };
	ExecutionSegments::<T>::do_request_order(segment, who, kind, acceptable, fee)
		.expect("a funded order on an open market; qed");
}

/// The segment's ring of prices full: rounds published before `who`'s order, and then
/// `price`, the first after the order's delay, published a block ago. The order's fill is the
/// last round it looks at.
fn rounds<T: Config>(segment: SegmentId, who: &T::AccountId, price: Price) {
	let order = Orders::<T>::get(segment, who).expect("requested; qed");
	let older = T::MaxPriceRounds::get().saturating_sub(1) as u64;
	let mut recent = RecentPrices::<T::MaxPriceRounds>::default();
	for n in 0..older {
		let at = order.requested_at - older + n;
		recent.note(PriceRound { price, timestamp: at, published: at, accepted: price });
	}
	let at = order.fills_from + 1;
	recent.note(PriceRound { price, timestamp: at, published: at, accepted: price });
	assert_eq!(recent.rounds.len() as u32, T::MaxPriceRounds::get());
	PriceRounds::<T>::insert(segment, recent);
	T::BenchmarkHelper::set_now(at + 1);
}

/// The price falls 30%: a 5x long has lost 150% of its margin.
fn crash<T: Config>() {
	T::BenchmarkHelper::set_price(&key(), Price::from_u32(70));
}

fn last_event<T: Config>() -> Event<T>
where
	<T as frame_system::Config>::RuntimeEvent: TryInto<Event<T>>,
{
	let record = System::<T>::events().pop().expect("the call deposits an event; qed");
	record
		.event
		.try_into()
		.ok()
		.expect("the call's last event is this pallet's; qed")
}

fn position<T: Config>(segment: SegmentId, who: &T::AccountId) -> Option<Position> {
	Positions::<T>::get(segment, who)
}

/// Whether the call deposited an event of this pallet that `f` accepts.
fn emitted<T: Config>(f: impl Fn(&Event<T>) -> bool) -> bool
where
	<T as frame_system::Config>::RuntimeEvent: TryInto<Event<T>>,
{
	System::<T>::events()
		.into_iter()
		.filter_map(|record| record.event.try_into().ok())
		.any(|event| f(&event))
}

#[benchmarks(where <T as frame_system::Config>::RuntimeEvent: TryInto<Event<T>>)]
mod benchmarks {
	use super::*;

	/// Onto a feed that already carries all but one of the segments it may.
	#[benchmark]
	fn create_segment() {
		let others = T::MaxSegmentsPerOracle::get() - 1;
		for segment in SEGMENT..SEGMENT + others {
			market::<T>(segment);
		}
		let last = SEGMENT + others;
		let silo = T::BenchmarkHelper::create_silo(last, SIZE);

		#[extrinsic_call]
		_(RawOrigin::Root, last, silo, key(), risk());

		assert!(Segments::<T>::contains_key(last));
		assert_eq!(SegmentsByOracle::<T>::get(key()).len() as u32, others + 1);
	}

	/// With funding to accrue first.
	#[benchmark]
	fn set_risk_params() {
		market::<T>(SEGMENT);
		long::<T>(SEGMENT, 0);
		let mut tighter = risk();
		tighter.max_leverage = 5;

		#[extrinsic_call]
		_(RawOrigin::Root, SEGMENT, tighter);

		let info = Segments::<T>::get(SEGMENT).expect("created above; qed");
		assert_eq!(info.risk, tighter);
		assert_eq!(info.funding_updated, System::<T>::block_number());
	}

	/// With an order to set the timing of.
	#[benchmark]
	fn set_order_params() {
		market::<T>(SEGMENT);
		let params = OrderParams { min_delay: 30_000, window: 120_000 };

		#[extrinsic_call]
		_(RawOrigin::Root, SEGMENT, params);

		assert_eq!(OrderSettings::<T>::get(SEGMENT), params);
	}

	/// An increase of a position held, on a segment with all but one order slot taken (the
	/// count is all a request reads of the others).
	#[benchmark]
	fn request_order() {
		market::<T>(SEGMENT);
		OrderCount::<T>::insert(SEGMENT, T::MaxOrdersPerSegment::get().saturating_sub(1));
		let trader = long::<T>(SEGMENT, MARGIN);
		let fee = risk().pool.keeper_deposit;
		T::BenchmarkHelper::fund_margin(SEGMENT, &trader, fee);
		let kind = OrderKind::Increase { side: Side::Long, size: SIZE, margin: MARGIN };

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), SEGMENT, kind, Price::from_inner(u128::MAX), fee);

		assert!(Orders::<T>::contains_key(SEGMENT, &trader));
		assert_eq!(OrderCount::<T>::get(SEGMENT), T::MaxOrdersPerSegment::get());
	}

	/// Before its delay has passed: everything escrowed goes back.
	#[benchmark]
	fn cancel_order() {
		market::<T>(SEGMENT);
		OrderSettings::<T>::insert(SEGMENT, OrderParams { min_delay: 60_000, window: 60_000 });
		let trader = long::<T>(SEGMENT, MARGIN);
		let kind = OrderKind::Increase { side: Side::Long, size: SIZE, margin: MARGIN };
		request::<T>(SEGMENT, &trader, kind, true);

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), SEGMENT);

		assert!(!Orders::<T>::contains_key(SEGMENT, &trader));
		assert!(matches!(last_event::<T>(), Event::OrderEnded { reason: OrderEnd::Cancelled, .. }));
	}

	/// An increase executed by a keeper at the last of the segment's remembered prices: entry
	/// price and funding index averaged, funding accrued.
	#[benchmark]
	fn execute_order_open() {
		market::<T>(SEGMENT);
		let trader = long::<T>(SEGMENT, MARGIN);
		let kind = OrderKind::Increase { side: Side::Long, size: SIZE, margin: MARGIN };
		request::<T>(SEGMENT, &trader, kind, true);
		rounds::<T>(SEGMENT, &trader, Price::from_u32(100));
		let keeper: T::AccountId = account("keeper", 0, 0);

		#[extrinsic_call]
		execute_order(RawOrigin::Signed(keeper), SEGMENT, trader.clone());

		let p = position::<T>(SEGMENT, &trader).expect("increased; qed");
		assert_eq!(p.size, 2 * SIZE);
		assert!(emitted::<T>(|e| matches!(e, Event::TradeCharged { fee, .. } if *fee > 0)));
		assert!(emitted::<T>(|e| matches!(e, Event::OrderExecuted { .. })));
	}

	/// A close of a whole position under water, executed by a keeper at the last of the
	/// segment's remembered prices.
	#[benchmark]
	fn execute_order_close() {
		market::<T>(SEGMENT);
		let trader = long::<T>(SEGMENT, 0);
		request::<T>(SEGMENT, &trader, OrderKind::Close, false);
		crash::<T>();
		rounds::<T>(SEGMENT, &trader, Price::from_u32(70));
		let keeper: T::AccountId = account("keeper", 0, 0);

		#[extrinsic_call]
		execute_order(RawOrigin::Signed(keeper), SEGMENT, trader.clone());

		assert!(position::<T>(SEGMENT, &trader).is_none());
		// Only the keeper deposit comes back.
		let deposit = risk().pool.keeper_deposit;
		assert!(emitted::<T>(
			|e| matches!(e, Event::PositionClosed { returned, .. } if *returned == deposit)
		));
	}

	#[benchmark]
	fn add_margin() {
		market::<T>(SEGMENT);
		let trader = long::<T>(SEGMENT, MARGIN);
		let before = position::<T>(SEGMENT, &trader).expect("open; qed").margin;

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), SEGMENT, MARGIN);

		assert_eq!(position::<T>(SEGMENT, &trader).expect("open; qed").margin, before + MARGIN);
	}

	/// With funding to accrue and initial margin to check.
	#[benchmark]
	fn remove_margin() {
		market::<T>(SEGMENT);
		let trader = long::<T>(SEGMENT, MARGIN);
		ExecutionSegments::<T>::do_add_margin(SEGMENT, &trader, MARGIN).expect("funded; qed");
		let before = position::<T>(SEGMENT, &trader).expect("open; qed").margin;

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), SEGMENT, MARGIN);

		assert_eq!(position::<T>(SEGMENT, &trader).expect("open; qed").margin, before - MARGIN);
	}

	/// Bad debt beyond the insurance fund: the liquidator earns the keeper deposit alone, the
	/// LPs take the rest.
	#[benchmark]
	fn liquidate() {
		market::<T>(SEGMENT);
		let trader = long::<T>(SEGMENT, 0);
		let keeper: T::AccountId = account("keeper", 0, 0);
		crash::<T>();
		// The worst case: the breaker accepted 70 and rejects the oracle's next price, 60, so
		// the liquidation is judged at one price and settled at another, nearest the
		// position's bankruptcy price (70 here: the long went bankrupt at 80).
		let at = |price| PricePoint { price: Price::from_u32(price), timestamp: 1 };
		ExecutionSegments::<T>::note_price(&key(), at(70));
		ExecutionSegments::<T>::note_price(&key(), at(60));
		T::BenchmarkHelper::set_price(&key(), Price::from_u32(60));

		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), SEGMENT, trader.clone());

		assert!(position::<T>(SEGMENT, &trader).is_none());
		let deposit = risk().pool.keeper_deposit;
		assert!(matches!(
			last_event::<T>(),
			Event::PositionLiquidated { fee, bad_debt, .. } if fee == deposit && bad_debt >= MARGIN / 2
		));
	}

	/// A partial close of the head of the queue, on a pool whose traders hold 90% of it in
	/// profit: the most the call writes.
	#[benchmark]
	fn auto_deleverage() {
		System::<T>::set_block_number(1u32.into());
		let silo = T::BenchmarkHelper::create_silo(SEGMENT, 2 * SIZE);
		ExecutionSegments::<T>::do_create_segment(SEGMENT, silo, key(), risk())
			.expect("a fresh segment on a fresh silo; qed");
		T::BenchmarkHelper::set_price(&key(), Price::from_u32(100));
		let trader = long::<T>(SEGMENT, 0);
		// Up 180%: 1.8 * SIZE of profit on a pool of 2 * SIZE.
		T::BenchmarkHelper::set_price(&key(), Price::from_u32(280));
		let keeper: T::AccountId = account("keeper", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), SEGMENT, trader.clone());

		let left = position::<T>(SEGMENT, &trader).expect("a part is left; qed").size;
		assert!(left > 0 && left < SIZE);
	}

	/// A market whose shorts hold far more profit than the pool pays out at the reference
	/// price, which lies so far below the bound that the settlement price is searched for
	/// upwards (the longer way: doubling, then bisection), on a feed that carries as many
	/// segments as it may (the settled one leaves its index).
	#[benchmark]
	fn settle_market() {
		market::<T>(SEGMENT);
		for segment in SEGMENT + 1..SEGMENT + T::MaxSegmentsPerOracle::get() {
			market::<T>(segment);
		}
		let trader: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::fund_margin(SEGMENT, &trader, MARGIN);
		ExecutionSegments::<T>::do_open_position(
			SEGMENT,
			Segments::<T>::get(SEGMENT).expect("created; qed"),
			&trader,
			Side::Short,
			SIZE,
			MARGIN,
			Price::from_u32(100),
			Price::from_inner(0),
		)
		.expect("5x on a fresh market; qed");
		// A pool that pays out 0.05% of itself: half the short's size.
		let mut tight = risk();
		tight.pool.max_pnl_factor = Permill::from_parts(500);
		tight.pool.max_pnl_factor_withdrawals = Permill::from_parts(500);
		tight.pool.adl_trigger = Permill::from_parts(500);
		tight.pool.adl_floor = Permill::from_parts(250);
		ExecutionSegments::<T>::do_set_risk_params(SEGMENT, tight).expect("valid; qed");
		// The oracle's first price for it, the least there is: the reference.
		let reference = Price::from_inner(1);
		ExecutionSegments::<T>::note_price(&key(), PricePoint { price: reference, timestamp: NOW });

		#[extrinsic_call]
		_(RawOrigin::Root, SEGMENT);

		assert!(matches!(
			Markets::<T>::get(SEGMENT),
			MarketStatus::Settling { price } if price > reference
		));
		assert!(!SegmentsByOracle::<T>::get(key()).contains(&SEGMENT));
	}

	/// `n` positions, each with an order to grow it pending, settled at a price that leaves
	/// each with bad debt the insurance fund cannot cover, and the market delisted with the
	/// last. (Paying a claim once delisted writes less: no position, no queue.)
	#[benchmark]
	fn settle_positions(n: Linear<1, { T::MaxSettleBatch::get() }>) {
		market::<T>(SEGMENT);
		let mut traders = Vec::new();
		for i in 0..n {
			let trader: T::AccountId = account("trader", i, 0);
			T::BenchmarkHelper::fund_margin(SEGMENT, &trader, MARGIN);
			ExecutionSegments::<T>::do_open_position(
				SEGMENT,
				Segments::<T>::get(SEGMENT).expect("created; qed"),
				&trader,
				Side::Long,
				SIZE,
				MARGIN,
				Price::from_u32(100),
				Price::from_inner(u128::MAX),
			)
			.expect("5x on a deep pool; qed");
			// An order for more: its margin and the segment's count of such orders too.
			T::BenchmarkHelper::fund_margin(SEGMENT, &trader, MARGIN);
			let more = OrderKind::Increase { side: Side::Long, size: SIZE, margin: MARGIN };
			request::<T>(SEGMENT, &trader, more, true);
			traders.push(trader);
		}
		System::<T>::set_block_number((1 + BLOCKS).into());
		crash::<T>();
		let price = Price::from_u32(70);
		ExecutionSegments::<T>::note_price(&key(), PricePoint { price, timestamp: NOW });
		ExecutionSegments::<T>::do_settle_market(SEGMENT).expect("a live market; qed");
		let accounts: BoundedVec<_, _> =
			traders.clone().try_into().expect("at most the batch; qed");
		let keeper: T::AccountId = account("keeper", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), SEGMENT, accounts);

		for trader in &traders {
			assert!(position::<T>(SEGMENT, trader).is_none());
			assert!(!Orders::<T>::contains_key(SEGMENT, trader));
		}
		assert_eq!(Markets::<T>::get(SEGMENT), MarketStatus::Delisted { price });
	}

	/// The oracle's hook on a feed that carries as many segments as it may, each told of a
	/// move beyond any sane breaker's bound, with as many prices remembered as it keeps.
	#[benchmark]
	fn note_price() {
		let segments = SEGMENT..SEGMENT + T::MaxSegmentsPerOracle::get();
		for segment in segments.clone() {
			market::<T>(segment);
		}
		let price = Price::from_u32(100);
		ExecutionSegments::<T>::note_price(&key(), PricePoint { price, timestamp: NOW });
		// Every ring full, so the note forgets a round.
		let mut recent = RecentPrices::<T::MaxPriceRounds>::default();
		for at in NOW - T::MaxPriceRounds::get() as u64..NOW {
			recent.note(PriceRound { price, timestamp: at, published: at, accepted: price });
		}
		for segment in segments.clone() {
			PriceRounds::<T>::insert(segment, recent.clone());
		}
		let crashed = Price::from_u32(50);
		let timestamp = NOW;

		#[block]
		{
			ExecutionSegments::<T>::note_price(&key(), PricePoint { price: crashed, timestamp });
		}

		for segment in segments {
			assert_eq!(T::BenchmarkHelper::noted_price(segment), Some(crashed));
		}
	}

	impl_benchmark_test_suite!(ExecutionSegments, crate::mock::new_bench_ext(), crate::mock::Test);
}
