//! Read-only views of the protocol, as the runtime API (`SegmentsApi`) returns them.
//!
//! Plain data: the pallets fill in their own parts and the runtime, the one place that sees all
//! four pallets, puts them together. Nothing here is stored or dispatched.

use crate::{Balance, PricePoint, RouteId, SegmentId, SegmentStatus, Side, SiloId, TripReason};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_runtime::FixedI128;

/// The breaker's state at the block the view was taken, with time-based moves applied.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum BreakerView<BlockNumber> {
	/// Trading as usual.
	Normal,
	/// Severed at `since` for `reason`; only risk-reducing calls work.
	Severed { since: BlockNumber, reason: TripReason },
	/// Recovering since `since`: reduce-only, tighter outflow limits.
	Recovering { since: BlockNumber },
}

/// One segment's health: what a dashboard or a risk desk shows first.
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct SegmentHealthView<BlockNumber> {
	/// The segment.
	pub segment: SegmentId,
	/// The silo holding its collateral.
	pub silo: SiloId,
	/// What the segment may do now.
	pub status: SegmentStatus,
	/// The breaker behind `status`.
	pub breaker: BreakerView<BlockNumber>,
	/// Open interest of longs, in collateral units at entry.
	pub long_open_interest: Balance,
	/// Open interest of shorts, in collateral units at entry.
	pub short_open_interest: Balance,
	/// Everything the silo holds: LP liquidity, margin, insurance and escrow.
	pub silo_value: Balance,
	/// The LPs' liquidity, the traders' counterparty.
	pub lp_liquidity: Balance,
	/// The insurance fund, first to absorb bad debt.
	pub insurance: Balance,
	/// All bad debt the silo has absorbed since it was created.
	pub bad_debt: Balance,
	/// The segment's oracle price, if any (possibly stale).
	pub price: Option<PricePoint>,
}

/// One position, valued at the segment's current oracle price.
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct PositionView {
	/// Long or short.
	pub side: Side,
	/// Size, in collateral units at entry.
	pub size: Balance,
	/// Average entry price.
	pub entry_price: crate::Price,
	/// Margin locked for the position.
	pub margin: Balance,
	/// The price it is valued at; `None` when the oracle has none (then the figures below
	/// assume the entry price).
	pub mark_price: Option<crate::Price>,
	/// Price PnL less funding owed, signed: positive is the trader's gain.
	pub unrealized_pnl: i128,
	/// Margin plus unrealized PnL.
	pub equity: i128,
	/// Equity over the position's value at the mark (negative when underwater); `None` for a
	/// position worth nothing.
	pub margin_ratio: Option<FixedI128>,
	/// The equity below which anyone may liquidate.
	pub maintenance_margin: Balance,
	/// The mark at which equity meets maintenance, if there is one.
	pub liquidation_price: Option<crate::Price>,
	/// Whether `liquidate` would succeed at the current price.
	pub liquidatable: bool,
}

/// One outbound gateway route and how much it can still carry in its current window.
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct RouteCapacity {
	/// The route.
	pub route: RouteId,
	/// The silo it leads to.
	pub to: SiloId,
	/// What it may still carry before its window limit, whatever the segments' states.
	pub remaining: Balance,
	/// Whether it can carry anything now (both ends' segments normal).
	pub open: bool,
}

/// What a segment puts at risk, and how far a failure inside it could spread.
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct BlastRadius {
	/// The segment.
	pub segment: SegmentId,
	/// Value at risk inside the segment: everything its silo holds.
	pub value_at_risk: Balance,
	/// Open interest, both sides.
	pub open_interest: Balance,
	/// The contagion bound: the most that could leave the segment through its routes in the
	/// current windows, no more than the margin that could be moved out.
	pub contagion_bound: Balance,
	/// The outbound routes behind the bound.
	pub routes: Vec<RouteCapacity>,
}
