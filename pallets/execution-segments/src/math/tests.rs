//! Tests of the pure arithmetic in the parent module.
use super::*;
use proptest::prelude::*;
use sp_runtime::traits::{Bounded, Saturating};

fn p(n: u32) -> Price {
	Price::from_u32(n)
}

#[test]
fn long_and_short_pnl() {
	// 1_000 of notional at 100: at 110 a long gains 100, a short loses 100.
	assert_eq!(price_pnl(Side::Long, 1_000, p(100), p(110)), Some(100));
	assert_eq!(price_pnl(Side::Short, 1_000, p(100), p(110)), Some(-100));
	assert_eq!(price_pnl(Side::Long, 1_000, p(100), p(90)), Some(-100));
	assert_eq!(price_pnl(Side::Short, 1_000, p(100), p(90)), Some(100));
}

#[test]
fn pnl_edge_cases() {
	// Zero size: nothing to gain or lose.
	assert_eq!(price_pnl(Side::Long, 0, p(100), p(1)), Some(0));
	// A price of zero: a long loses everything, a short gains its size.
	assert_eq!(price_pnl(Side::Long, 1_000, p(100), Price::zero()), Some(-1_000));
	assert_eq!(price_pnl(Side::Short, 1_000, p(100), Price::zero()), Some(1_000));
	// A zero entry price is refused, not divided by.
	assert_eq!(price_pnl(Side::Long, 1_000, Price::zero(), p(1)), None);
	// Values past i128 are refused, not wrapped.
	assert_eq!(price_pnl(Side::Long, u128::MAX, p(1), p(1)), None);
	assert_eq!(notional_at(u128::MAX, p(1), p(2)), None);
}

#[test]
fn dust_rounds_against_the_trader() {
	// One unit of notional, a third of a percent move: neither side gains from rounding.
	let entry = p(300);
	let mark = p(301);
	assert_eq!(price_pnl(Side::Long, 1, entry, mark), Some(0));
	assert_eq!(price_pnl(Side::Short, 1, entry, mark), Some(-1));
}

#[test]
fn margin_requirements() {
	assert_eq!(required_margin(1_000, p(100), p(100), Permill::from_percent(10)), Some(100));
	assert_eq!(required_margin(1_000, p(100), p(200), Permill::from_percent(10)), Some(200));
	// Rounds up.
	assert_eq!(required_margin(1, p(1), p(1), Permill::from_percent(10)), Some(1));
	assert_eq!(required_margin(0, p(1), p(1), Permill::from_percent(10)), Some(0));
}

#[test]
fn equity_subtracts_funding() {
	assert_eq!(equity(Side::Long, 1_000, 100, p(100), p(105), 20), Some(130));
	assert_eq!(equity(Side::Short, 1_000, 100, p(100), p(105), -20), Some(70));
}

#[test]
fn averaged_entry_keeps_pnl_additive() {
	// 1_000 at 100 plus 1_100 at 110.
	let entry = averaged_entry(1_000, p(100), 1_100, p(110)).unwrap();
	assert_eq!(entry, p(105));
	// At 120: 200 + 100 from the parts; the whole gives the same.
	assert_eq!(price_pnl(Side::Long, 2_100, entry, p(120)), Some(300));
}

#[test]
fn liquidation_prices() {
	// Long 1_000 at 100 with 100 margin, 5% maintenance: 100 * 900 / 950.
	let long =
		liquidation_price(Side::Long, 1_000, 100, p(100), 0, Permill::from_percent(5)).unwrap();
	assert!(long.into_inner().abs_diff(Price::from_rational(90_000, 950).into_inner()) <= 1);
	// Short: 100 * 1_100 / 1_050.
	let short =
		liquidation_price(Side::Short, 1_000, 100, p(100), 0, Permill::from_percent(5)).unwrap();
	assert!(short.into_inner().abs_diff(Price::from_rational(110_000, 1_050).into_inner()) <= 1);
	// A fully collateralised long is never liquidated.
	assert_eq!(
		liquidation_price(Side::Long, 1_000, 1_000, p(100), 0, Permill::from_percent(5)),
		None
	);
	assert_eq!(liquidation_price(Side::Long, 0, 1, p(100), 0, Permill::from_percent(5)), None);
}

#[test]
fn funding_follows_the_skew() {
	let rate = Perbill::from_percent(1);
	assert_eq!(funding_rate(0, 0, rate), Some(FixedI128::zero()));
	assert_eq!(funding_rate(500, 500, rate), Some(FixedI128::zero()));
	// All long: longs pay the full rate.
	assert_eq!(funding_rate(1_000, 0, rate), Some(FixedI128::from_rational(1, 100)));
	// 3:1 short: shorts pay half the rate.
	assert_eq!(funding_rate(250, 750, rate), Some(FixedI128::from_inner(-FixedI128::DIV / 200)));
}

#[test]
fn funding_moves_between_sides() {
	let start = FixedI128::zero();
	let index = accrue(start, FixedI128::from_rational(1, 100), 10).unwrap();
	// 10 blocks at 1%: a long of 1_000 owes 100, a short of 1_000 receives 100.
	assert_eq!(funding_owed(Side::Long, 1_000, start, index), Some(100));
	assert_eq!(funding_owed(Side::Short, 1_000, start, index), Some(-100));
	// A tiny position owes a unit rather than nothing.
	let tiny = accrue(start, FixedI128::from_rational(1, 1_000_000), 1).unwrap();
	assert_eq!(funding_owed(Side::Long, 1, start, tiny), Some(1));
	assert_eq!(funding_owed(Side::Short, 1, start, tiny), Some(0));
}

#[test]
fn accrual_overflow_is_refused() {
	assert_eq!(accrue(FixedI128::max_value(), FixedI128::from_inner(1), 1), None);
	assert_eq!(accrue(FixedI128::zero(), FixedI128::from_inner(i128::MAX), 2), None);
}

#[test]
fn signed_amounts_become_pnl() {
	assert_eq!(to_pnl(5), Pnl::Profit(5));
	assert_eq!(to_pnl(0), Pnl::Profit(0));
	assert_eq!(to_pnl(-5), Pnl::Loss(5));
	assert_eq!(to_pnl(i128::MIN), Pnl::Loss(i128::MIN.unsigned_abs()));
}

proptest! {
	/// Long and short PnL mirror each other to within one unit of rounding, always in the
	/// pool's favour.
	#[test]
	fn pnl_is_symmetric(size in 0u128..1_000_000_000_000, entry in 1u32..1_000_000, mark in 0u32..1_000_000) {
		let long = price_pnl(Side::Long, size, p(entry), p(mark)).unwrap();
		let short = price_pnl(Side::Short, size, p(entry), p(mark)).unwrap();
		prop_assert!(long + short <= 0);
		prop_assert!(long + short >= -1);
	}

	/// Increasing a position keeps its PnL at any mark the sum of its parts' PnL, to
	/// within rounding.
	#[test]
	fn averaged_entry_is_additive(
		size in 1u128..1_000_000_000_000, added in 1u128..1_000_000_000_000,
		entry in 1u32..100_000, price in 1u32..100_000, mark in 1u32..100_000,
	) {
		let avg = averaged_entry(size, p(entry), added, p(price)).unwrap();
		let whole = price_pnl(Side::Long, size + added, avg, p(mark)).unwrap();
		let parts = price_pnl(Side::Long, size, p(entry), p(mark)).unwrap()
			+ price_pnl(Side::Long, added, p(price), p(mark)).unwrap();
		let tolerance = ((size + added) / 1_000_000_000).max(2) as i128;
		prop_assert!((whole - parts).abs() <= tolerance, "whole {} parts {}", whole, parts);
	}

	/// Averaging the funding index keeps what the position already owed.
	#[test]
	fn averaged_index_keeps_owed_funding(
		size in 1u128..1_000_000_000, added in 1u128..1_000_000_000,
		accrued in -1_000_000i64..1_000_000,
	) {
		let entry_index = FixedI128::zero();
		// accrued millionths of a unit per unit of notional.
		let index = FixedI128::from_inner(accrued as i128 * (FixedI128::DIV / 1_000_000));
		let owed_before = funding_owed(Side::Long, size, entry_index, index).unwrap();
		let new_index = averaged_index(size, entry_index, added, index).unwrap();
		let owed_after = funding_owed(Side::Long, size + added, new_index, index).unwrap();
		prop_assert!((owed_after - owed_before).abs() <= 1);
	}

	/// Just inside the liquidation price a position meets maintenance; just beyond it, it
	/// does not.
	#[test]
	fn liquidation_price_is_the_maintenance_line(
		size in 1_000u128..1_000_000_000, leverage in 2u128..50, entry in 10u32..100_000,
		mm in 1u32..20, long in any::<bool>(),
	) {
		let side = if long { Side::Long } else { Side::Short };
		let margin = size / leverage;
		let mm = Permill::from_percent(mm);
		let entry = p(entry);
		if let Some(liq) = liquidation_price(side, size, margin, entry, 0, mm) {
			let nudge = Price::from_inner(liq.into_inner() / 1_000 + 1);
			let (safe, unsafe_) = match side {
				Side::Long => (liq.saturating_add(nudge), liq.saturating_sub(nudge)),
				Side::Short => (liq.saturating_sub(nudge), liq.saturating_add(nudge)),
			};
			let holds = |mark: Price| {
				let eq = equity(side, size, margin, entry, mark, 0).unwrap();
				eq >= required_margin(size, entry, mark, mm).unwrap() as i128
			};
			prop_assert!(holds(safe));
			prop_assert!(!holds(unsafe_));
		}
	}

	/// Funding is zero-sum between equal and opposite positions, and never wraps.
	#[test]
	fn funding_is_zero_sum(size in 0u128..1_000_000_000_000, long_oi in 0u128..1_000_000, short_oi in 0u128..1_000_000, blocks in 0u128..10_000) {
		let rate = funding_rate(long_oi, short_oi, Perbill::from_parts(100_000)).unwrap();
		let index = accrue(FixedI128::zero(), rate, blocks).unwrap();
		let long = funding_owed(Side::Long, size, FixedI128::zero(), index).unwrap();
		let short = funding_owed(Side::Short, size, FixedI128::zero(), index).unwrap();
		// Each side rounds against itself by at most one unit.
		prop_assert!(long + short >= 0 && long + short <= 1);
	}
}

mod pool_economics {
	use super::*;
	use sp_runtime::{FixedU128, Rounding};

	fn p(n: u128) -> Price {
		Price::saturating_from_integer(n)
	}

	#[test]
	fn units_value_a_position_at_any_mark() {
		// 6,000 of notional at 60 holds 100 units: worth 6,300 at 63, 5,700 at 57.
		let units = units_of(6_000, p(60)).unwrap();
		assert_eq!(units, 100 * FixedI128::DIV as u128);
		assert_eq!(value_of_units(units, p(63), Rounding::Down), Some(6_300));
		assert_eq!(value_of_units(units, p(57), Rounding::Down), Some(5_700));
	}

	#[test]
	fn a_side_owes_through_its_index_what_its_positions_owe_one_by_one() {
		// Two longs of 1,000 and 3,000 entered at indices 0.01 and 0.03; the index is now 0.05:
		// they owe 1,000 * 0.04 + 3,000 * 0.02 = 100.
		let at = |n: i128| FixedI128::from_inner(n * 10_000_000_000_000_000);
		let sum = index_weight(1_000, at(1)).unwrap() + index_weight(3_000, at(3)).unwrap();
		assert_eq!(owed_through(at(5), 4_000, sum), Some(100));
		// A part of a unit rounds up.
		assert_eq!(owed_through(FixedI128::from_rational(1, 3), 1, 0), Some(1));
	}

	#[test]
	fn the_borrowing_rate_is_kinked_at_the_kink() {
		let (kink, at_kink, max) = (
			Permill::from_percent(75),
			FixedU128::from_rational(1, 2),
			FixedU128::from_rational(6, 5),
		);
		let rate = |u: u128| borrowing_rate(FixedU128::from_rational(u, 100), kink, at_kink, max);
		assert_eq!(rate(0), Some(FixedU128::zero()));
		// 30% of the way to the kink: 20% a year.
		assert_eq!(rate(30), Some(FixedU128::from_rational(1, 5)));
		assert_eq!(rate(75), Some(at_kink));
		// Halfway from the kink to full: 50% + 70% / 2 = 85%.
		assert_eq!(
			borrowing_rate(FixedU128::from_rational(875, 1000), kink, at_kink, max),
			Some(FixedU128::from_rational(85, 100))
		);
		assert_eq!(rate(100), Some(max));
	}

	#[test]
	fn utilization_is_open_interest_over_the_pool_at_most_one() {
		assert_eq!(utilization(0, 0), FixedU128::zero());
		assert_eq!(utilization(250, 1_000), FixedU128::from_rational(1, 4));
		assert_eq!(utilization(5_000, 1_000), FixedU128::one());
		assert_eq!(utilization(1, 0), FixedU128::one());
	}

	#[test]
	fn a_yearly_rate_per_block() {
		// 100% a year over 5,259,600 six-second blocks.
		let per = per_block(FixedU128::one(), 5_259_600).unwrap();
		assert_eq!(per.into_inner(), 1_000_000_000_000_000_000 / 5_259_600);
	}

	#[test]
	fn the_skew_premium_is_the_average_skew_over_the_scale() {
		// 0 -> 50,000 on a scale of 10,000,000: 0.25%.
		assert_eq!(skew_premium(0, 50_000, 10_000_000), Some(FixedI128::from_rational(25, 10_000)));
		// 50,000 -> -50,000: no premium, the trade crosses the balance point.
		assert_eq!(skew_premium(50_000, -50_000, 10_000_000), Some(FixedI128::zero()));
		assert_eq!(
			skew_premium(0, -50_000, 10_000_000),
			Some(FixedI128::from_inner(-25 * 100_000_000_000_000))
		);
	}

	#[test]
	fn fills_are_bounded_for_buyers_and_sellers() {
		let (worse, better) = (Permill::from_parts(5_000), Permill::from_parts(4_000));
		let premium = |bp: i128| FixedI128::from_inner(bp * 100_000_000_000_000);
		// A buyer pays 0.25% more, at most 0.5% more, at best 0.4% less.
		assert_eq!(
			fill_price(p(100), premium(25), true, worse, better),
			Some(Price::from_rational(10_025, 100))
		);
		assert_eq!(
			fill_price(p(100), premium(100), true, worse, better),
			Some(Price::from_rational(1_005, 10))
		);
		assert_eq!(
			fill_price(p(100), premium(-100), true, worse, better),
			Some(Price::from_rational(996, 10))
		);
		// A seller gets at most 0.4% more and at worst 0.5% less.
		assert_eq!(
			fill_price(p(100), premium(100), false, worse, better),
			Some(Price::from_rational(1_004, 10))
		);
		assert_eq!(
			fill_price(p(100), premium(-100), false, worse, better),
			Some(Price::from_rational(995, 10))
		);
	}

	#[test]
	fn fees_round_up_and_skew_reduction_is_strict() {
		assert_eq!(position_fee(50_000, Permill::from_parts(600)), 30);
		assert_eq!(position_fee(1, Permill::from_parts(600)), 1);
		assert!(reduces_skew(100, 40));
		assert!(reduces_skew(-100, 99));
		assert!(!reduces_skew(100, -100));
		assert!(!reduces_skew(0, 10));
	}

	#[test]
	fn a_trade_across_zero_skew_pays_each_rate_on_its_part() {
		let (reducing, increasing) = (Permill::from_parts(400), Permill::from_parts(600));
		// +100,000 -> -100,000: half reduces (4 bp of 100,000 = 40), half adds (6 bp = 60).
		assert_eq!(
			position_fee_across(200_000, 100_000, -100_000, reducing, increasing),
			Some(100)
		);
		// Wholly reducing, wholly increasing.
		assert_eq!(position_fee_across(50_000, 100_000, 50_000, reducing, increasing), Some(20));
		assert_eq!(position_fee_across(50_000, 0, 50_000, reducing, increasing), Some(30));
	}

	#[test]
	fn profit_is_shared_pro_rata_above_the_payout_limit() {
		assert_eq!(capped_profit(1_000, 1_500, 2_000), Some(1_000));
		// Two equal closers on a side holding 3,800 against a limit of 900: 450 each time.
		assert_eq!(capped_profit(1_900, 3_800, 900), Some(450));
		// A winner offset by the side's losers is still paid no more than the limit.
		assert_eq!(capped_profit(1_000, 500, 900), Some(900));
	}

	#[test]
	fn adl_closes_just_enough() {
		// 391,305 of 860,000 profit: 45,501 of 100,000 (rounded up).
		assert_eq!(adl_part(100_000, 860_000, 391_305, 1), Some(45_501));
		// Not enough profit: all of it.
		assert_eq!(adl_part(100_000, 300_000, 391_305, 1), Some(100_000));
		// What would be left is under the minimum: all of it.
		assert_eq!(adl_part(100_000, 860_000, 391_305, 60_000), Some(100_000));
	}

	#[test]
	fn nearest_finds_the_boundary_either_way() {
		let price = |v: u128| Price::from_inner(v);
		// Below 1,000 from 5,000: the boundary itself.
		assert_eq!(nearest(price(5_000), true, |p| p.into_inner() <= 1_000), Some(price(1_000)));
		// Above, from 5,000 to 77,777.
		assert_eq!(nearest(price(5_000), false, |p| p.into_inner() >= 77_777), Some(price(77_777)));
		// Nowhere below, nowhere above.
		assert_eq!(nearest(price(5_000), true, |_| false), None);
		assert_eq!(nearest(price(5_000), false, |p| p.into_inner() == 1), None);
		// From zero upwards.
		assert_eq!(nearest(price(0), false, |p| p.into_inner() >= 3), Some(price(3)));
	}
}
