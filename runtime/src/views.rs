//! The runtime side of `SegmentsApi`: each view joins what the pallets expose on their own,
//! through their public view functions and the interface traits; no view reads another
//! pallet's storage. Reads only; nothing here writes storage.

use alloc::vec::Vec;
use pallet_circuit_breaker::BreakerState;
use pallet_collateral_silos::ExitRequest;
use segment_interface::{
	views::{
		BlastRadius, BreakerView, Clearance, OutflowView, PoolMark, PoolView, PositionView,
		QueuedExit, SegmentHealthView,
	},
	Balance, PriceFeed, PriceVerdict, SegmentId, SiloDirectory,
};
use sp_runtime::{FixedI128, FixedPointNumber, FixedU128};

use crate::{
	configs::OraclePrices, AccountId, BlockNumber, CircuitBreaker, CollateralSilos,
	ExecutionSegments, Gateway,
};

/// Every segment id, ascending.
pub fn segments() -> Vec<SegmentId> {
	ExecutionSegments::segment_ids()
}

/// The breaker's state now, time-based moves applied, and what ends a trip.
fn breaker_view(segment: SegmentId, state: BreakerState<BlockNumber>) -> BreakerView<BlockNumber> {
	match state {
		BreakerState::Normal => BreakerView::Normal,
		BreakerState::Severed { since, reason } => BreakerView::Severed {
			since,
			reason,
			clears: CircuitBreaker::clearance(segment).unwrap_or(Clearance::ResetOrigin),
		},
		BreakerState::Recovering { since } => BreakerView::Recovering {
			since,
			normal_at: since.saturating_add(CircuitBreaker::breaker(segment).thresholds.probation),
		},
	}
}

/// `segment`'s outflow line now, for its silo's value.
fn outflow(segment: SegmentId, silo_value: Balance) -> OutflowView {
	let line = CircuitBreaker::line(segment, silo_value);
	OutflowView {
		limit: line.limit,
		used: line.used,
		left: line.left(),
		per_account: line.per_account,
	}
}

/// A segment's health; `None` for an unknown segment.
pub fn segment_health(segment: SegmentId) -> Option<SegmentHealthView<BlockNumber>> {
	let market = ExecutionSegments::summary(segment)?;
	let silo = CollateralSilos::summary(market.silo)?;
	// `state`, not the stored state: a breaker past its cool-down reads severed in storage.
	let state = CircuitBreaker::state(segment);
	let breaker = CircuitBreaker::breaker(segment);
	Some(SegmentHealthView {
		segment,
		silo: market.silo,
		status: state.status(),
		breaker: breaker_view(segment, state),
		long_open_interest: market.long_oi,
		short_open_interest: market.short_oi,
		silo_value: silo.value,
		lp_liquidity: silo.lp_liquidity,
		insurance: silo.insurance,
		bad_debt: silo.bad_debt,
		price: OraclePrices::price(&market.oracle_key),
		reference_price: CircuitBreaker::reference_price(segment),
		last_accepted_price: breaker.accepted.map(|p| p.price),
		price_rejected: breaker.verdict() != PriceVerdict::Accepted,
		outflow: outflow(segment, silo.value),
		queued_exits: CollateralSilos::queued_exits(market.silo),
		market: market.market,
	})
}

/// The first `max` exits waiting in `segment`'s silo, in the order they are paid, each with
/// what its owner may take out now.
pub fn exits(segment: SegmentId, max: u32) -> Vec<QueuedExit<AccountId>> {
	let Some(silo) = <CollateralSilos as SiloDirectory>::silo_of(segment) else {
		return Vec::new();
	};
	CollateralSilos::exit_queue(silo, max)
		.into_iter()
		.enumerate()
		.map(|(place, (index, exit))| {
			let (margin, shares) = match exit.request {
				ExitRequest::Margin(amount) => (amount, 0),
				ExitRequest::Liquidity(shares) => (0, shares),
			};
			QueuedExit {
				index,
				place: place as u32,
				room: CollateralSilos::outflow_room(silo, &exit.who).unwrap_or(0),
				who: exit.who,
				margin,
				shares,
			}
		})
		.collect()
}

/// What `who` may take out of `segment`'s silo now: its principal and its share of what is
/// left of the line.
pub fn outflow_room(segment: SegmentId, who: &AccountId) -> Balance {
	<CollateralSilos as SiloDirectory>::silo_of(segment)
		.and_then(|silo| CollateralSilos::outflow_room(silo, who))
		.unwrap_or(0)
}

/// `who`'s position in `segment`.
pub fn position(segment: SegmentId, who: &AccountId) -> Option<PositionView> {
	ExecutionSegments::position_view(segment, who)
}

/// What `segment` puts at risk and the most that could leave it through the gateway now.
pub fn blast_radius(segment: SegmentId) -> Option<BlastRadius> {
	let market = ExecutionSegments::summary(segment)?;
	let silo = CollateralSilos::summary(market.silo)?;
	let routes = Gateway::outbound_capacity(market.silo);
	let through_routes = routes
		.iter()
		.filter(|route| route.open)
		.fold(0, |sum: Balance, route| sum.saturating_add(route.remaining));
	// Only traders' margin can be moved through the gateway: free margin now, locked margin
	// once its position closes (which works in any state), escrowed margin once approved. It is
	// what the silo holds beyond what it owes its LPs and its insurance fund.
	Some(BlastRadius {
		segment,
		value_at_risk: silo.value,
		open_interest: market.long_oi.saturating_add(market.short_oi),
		contagion_bound: through_routes.min(silo.beyond_pool),
		routes,
	})
}

/// Up to `max` accounts that `liquidate` would accept now.
pub fn liquidatable(segment: SegmentId, max: u32) -> Vec<AccountId> {
	ExecutionSegments::liquidatable(segment, max)
}

/// `segment`'s pool marked to market, with the first `max` entries of each side's ADL queue:
/// the segment's exposure joined with its silo's books.
pub fn pool(segment: SegmentId, max: u32) -> Option<PoolView<AccountId>> {
	let part = ExecutionSegments::pool_view(segment, max)?;
	let silo = CollateralSilos::summary(part.silo)?;
	let lp = silo.lp_liquidity;
	let marked = part.exposure.map(|exposure| {
		let factors = exposure.factors;
		let value = exposure.pool_value(lp, factors.max_pnl_deposits);
		// Auto-deleveraging's ratio: the larger side's capped profit over the liquidity.
		let limit = i128::try_from(factors.max_pnl_deposits.mul_floor(lp)).unwrap_or(i128::MAX);
		let ahead = exposure.long_pnl.max(exposure.short_pnl).min(limit).max(0);
		PoolMark {
			value,
			value_for_withdrawals: exposure.pool_value(lp, factors.max_pnl_withdrawals),
			share_price: (silo.lp_shares > 0)
				.then(|| FixedU128::checked_from_rational(value, silo.lp_shares))
				.flatten(),
			reserved: exposure.reserved,
			reserve_cap: exposure.reserve_cap(lp, value),
			long_pnl: exposure.long_pnl,
			short_pnl: exposure.short_pnl,
			pnl_to_pool: (lp > 0).then(|| FixedI128::checked_from_rational(ahead, lp)).flatten(),
		}
	});
	Some(PoolView {
		segment,
		silo: part.silo,
		lp_liquidity: lp,
		lp_shares: silo.lp_shares,
		insurance: silo.insurance,
		fees_to_lps: silo.fees_to_lps,
		fees_to_insurance: silo.fees_to_insurance,
		marked,
		adl_trigger: part.adl_trigger,
		adl_floor: part.adl_floor,
		borrowing_rate_long: part.borrowing_rate_long,
		borrowing_rate_short: part.borrowing_rate_short,
		adl_queue: part.adl_queue,
	})
}
