//! The runtime side of `SegmentsApi`: each view joins what the pallets expose on their own.
//! Reads only; nothing here writes storage.

use alloc::vec::Vec;
use pallet_circuit_breaker::BreakerState;
use segment_interface::{
	views::{BlastRadius, BreakerView, PositionView, SegmentHealthView},
	Balance, PriceFeed, SegmentId,
};

use crate::{
	configs::OraclePrices, AccountId, BlockNumber, CircuitBreaker, CollateralSilos,
	ExecutionSegments, Gateway, Runtime,
};

type Segments = pallet_execution_segments::Segments<Runtime>;
type Silos = pallet_collateral_silos::Silos<Runtime>;

/// Every segment id, ascending.
pub fn segments() -> Vec<SegmentId> {
	let mut ids: Vec<_> = Segments::iter_keys().collect();
	ids.sort_unstable();
	ids
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
	let info = Segments::get(segment)?;
	let silo = Silos::get(info.silo)?;
	// `state`, not the stored state: a breaker past its cool-down reads severed in storage.
	let state = CircuitBreaker::state(segment);
	Some(SegmentHealthView {
		segment,
		silo: info.silo,
		status: state.status(),
		breaker: breaker_view(state),
		long_open_interest: info.long_oi,
		short_open_interest: info.short_oi,
		silo_value: CollateralSilos::value(info.silo, &silo),
		lp_liquidity: silo.books.lp_liquidity,
		insurance: silo.books.insurance,
		bad_debt: silo.bad_debt,
		price: OraclePrices::price(&info.oracle_key),
	})
}

/// `who`'s position in `segment`.
pub fn position(segment: SegmentId, who: &AccountId) -> Option<PositionView> {
	ExecutionSegments::position_view(segment, who)
}

/// What `segment` puts at risk and the most that could leave it through the gateway now.
pub fn blast_radius(segment: SegmentId) -> Option<BlastRadius> {
	let info = Segments::get(segment)?;
	let silo = Silos::get(info.silo)?;
	let (books, held) = (silo.books, CollateralSilos::value(info.silo, &silo));
	let routes = Gateway::outbound_capacity(info.silo);
	let through_routes = routes
		.iter()
		.filter(|route| route.open)
		.fold(0, |sum: Balance, route| sum.saturating_add(route.remaining));
	// Only traders' margin can be moved through the gateway: free margin now, locked margin
	// once its position closes (which works in any state), escrowed margin once approved. It is
	// what the silo holds beyond what it owes its LPs and its insurance fund.
	let movable = held.saturating_sub(books.reserved().unwrap_or(Balance::MAX));
	Some(BlastRadius {
		segment,
		value_at_risk: held,
		open_interest: info.long_oi.saturating_add(info.short_oi),
		contagion_bound: through_routes.min(movable),
		routes,
	})
}

/// Up to `max` accounts that `liquidate` would accept now.
pub fn liquidatable(segment: SegmentId, max: u32) -> Vec<AccountId> {
	ExecutionSegments::liquidatable(segment, max)
}
