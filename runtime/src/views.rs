//! The runtime side of `SegmentsApi`: each view joins what the pallets expose on their own,
//! through their public view functions and the interface traits; no view reads another
//! pallet's storage. Reads only; nothing here writes storage.

use alloc::vec::Vec;
use pallet_circuit_breaker::BreakerState;
use segment_interface::{
	views::{BlastRadius, BreakerView, PositionView, SegmentHealthView},
	Balance, PriceFeed, SegmentId,
};

use crate::{
	configs::OraclePrices, AccountId, BlockNumber, CircuitBreaker, CollateralSilos,
	ExecutionSegments, Gateway,
};

/// Every segment id, ascending.
pub fn segments() -> Vec<SegmentId> {
	ExecutionSegments::segment_ids()
}

/// The breaker's state now, time-based moves applied.
fn breaker_view(state: BreakerState<BlockNumber>) -> BreakerView<BlockNumber> {
	match state {
		BreakerState::Normal => BreakerView::Normal,
		BreakerState::Severed { since, reason } => BreakerView::Severed { since, reason },
		BreakerState::Recovering { since } => BreakerView::Recovering { since },
	}
}

/// A segment's health; `None` for an unknown segment.
pub fn segment_health(segment: SegmentId) -> Option<SegmentHealthView<BlockNumber>> {
	let market = ExecutionSegments::summary(segment)?;
	let silo = CollateralSilos::summary(market.silo)?;
	// `state`, not the stored state: a breaker past its cool-down reads severed in storage.
	let state = CircuitBreaker::state(segment);
	Some(SegmentHealthView {
		segment,
		silo: market.silo,
		status: state.status(),
		breaker: breaker_view(state),
		long_open_interest: market.long_oi,
		short_open_interest: market.short_oi,
		silo_value: silo.value,
		lp_liquidity: silo.lp_liquidity,
		insurance: silo.insurance,
		bad_debt: silo.bad_debt,
		price: OraclePrices::price(&market.oracle_key),
	})
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
