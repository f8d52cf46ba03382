//! Read-only views of the protocol, as the runtime API (`SegmentsApi`) returns them.
//!
//! Plain data: the pallets fill in their own parts and the runtime, the one place that sees all
//! four pallets, puts them together. Nothing here is stored or dispatched.

use crate::{Balance, PricePoint, RouteId, SegmentId, SegmentStatus, Side, SiloId, TripReason};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_runtime::{FixedI128, FixedU128, Permill};

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
	/// Severed at `since` for `reason`; only risk-reducing calls work. `clears` says what
	/// ends it.
	Severed { since: BlockNumber, reason: TripReason, clears: Clearance<BlockNumber> },
	/// Recovering since `since`: reduce-only, half the outflow line, normal again at
	/// `normal_at` unless it trips meanwhile.
	Recovering { since: BlockNumber, normal_at: BlockNumber },
}

/// What ends a trip.
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
pub enum Clearance<BlockNumber> {
	/// Time: the segment recovers (reduce-only) at this block.
	At(BlockNumber),
	/// A fresh oracle price: the cool-down starts when one is noted.
	FreshPrice,
	/// The reset origin: bad debt and a guardian's trip need a decision.
	ResetOrigin,
}

/// A segment's outflow line in the current window: what may leave its silo beyond what the
/// takers brought in (their principal, which always may leave).
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	Eq,
	PartialEq,
	Debug,
	Default,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct OutflowView {
	/// The line: a share of the silo's value, halved while recovering, zero while severed.
	pub limit: Balance,
	/// What left beyond principal in the window.
	pub used: Balance,
	/// What may still leave in the window.
	pub left: Balance,
	/// The most one account may take of the line in a window.
	pub per_account: Balance,
}

/// One exit waiting in a silo's queue.
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct QueuedExit<AccountId> {
	/// Its index, for `cancel_exit`.
	pub index: u32,
	/// Its place: 0 is paid first.
	pub place: u32,
	/// Whose it is.
	pub who: AccountId,
	/// Free margin still to pay.
	pub margin: Balance,
	/// Pool shares still to pay, each slice priced when it is paid.
	pub shares: Balance,
	/// What the owner may take out of the silo now (principal and share of the line).
	pub room: Balance,
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
	/// The breaker's time-weighted reference price now, which an update may stray from by at
	/// most the breaker's `max_price_deviation`; `None` before the first price.
	pub reference_price: Option<crate::Price>,
	/// The last oracle price the breaker accepted.
	pub last_accepted_price: Option<crate::Price>,
	/// Whether the breaker rejected the oracle's latest price: then nothing opens and no pool
	/// share is priced, positions are liquidated at `last_accepted_price`, and closes fill at
	/// whichever of the two prices is worse for the trader.
	pub price_rejected: bool,
	/// The outflow line in the current window.
	pub outflow: OutflowView,
	/// Exits waiting in the silo's queue.
	pub queued_exits: u32,
	/// Where its market is in its life: live, settling at a price, or delisted.
	pub market: crate::MarketStatus,
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
	/// What it carried in its window.
	pub carried: Balance,
	/// What it carried net of what its reverse route carried back: what the limit measures.
	pub net: Balance,
	/// Most it carries, net, per window.
	pub window_limit: Balance,
	/// Most one account moves along it per window.
	pub per_account: Balance,
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

/// One segment's LP pool, marked to market: what an LP, a keeper or a risk desk reads before
/// acting. The figures follow [`crate::pool`].
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct PoolView<AccountId> {
	/// The segment.
	pub segment: SegmentId,
	/// The silo holding its pool.
	pub silo: SiloId,
	/// What the LPs own in the silo, fees they earned included.
	pub lp_liquidity: Balance,
	/// Pool shares outstanding.
	pub lp_shares: Balance,
	/// The silo's insurance fund.
	pub insurance: Balance,
	/// Every position fee paid to the LPs since the pool economics began.
	pub fees_to_lps: Balance,
	/// Every position fee paid to the insurance fund since then.
	pub fees_to_insurance: Balance,
	/// The pool at the current oracle price; `None` while it cannot be valued (open interest
	/// and no fresh price): then no LP action can be priced either.
	pub marked: Option<PoolMark>,
	/// Auto-deleveraging may start when `pnl_to_pool` is above this.
	pub adl_trigger: Permill,
	/// Auto-deleveraging stops at this.
	pub adl_floor: Permill,
	/// The borrowing rate longs pay now, per year, of their notional.
	pub borrowing_rate_long: FixedU128,
	/// The borrowing rate shorts pay now, per year, of their notional.
	pub borrowing_rate_short: FixedU128,
	/// The first positions auto-deleveraging would close, in order, on each side.
	pub adl_queue: Vec<AdlEntry<AccountId>>,
}

/// A pool's figures at one oracle price.
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
pub struct PoolMark {
	/// The pool's value (NAV) as deposits are priced: liquidity less capped pending trader PnL.
	pub value: Balance,
	/// The pool's value as withdrawals are priced (a lower cap on counted profit).
	pub value_for_withdrawals: Balance,
	/// `value` per pool share; `None` without shares.
	pub share_price: Option<FixedU128>,
	/// Pool value the open interest reserves.
	pub reserved: Balance,
	/// The most it may reserve: the reserve factor of `value`.
	pub reserve_cap: Balance,
	/// Pending PnL of the longs (price, funding and borrowing; positive is their gain).
	pub long_pnl: i128,
	/// Pending PnL of the shorts.
	pub short_pnl: i128,
	/// The larger side's pending profit, capped at the max PnL factor, over the pool's
	/// liquidity (GMX's PnL-to-pool factor): auto-deleveraging compares this with its trigger,
	/// side by side. `None` for a pool without liquidity.
	pub pnl_to_pool: Option<FixedI128>,
}

/// One place in a segment's auto-deleveraging queue.
#[derive(
	Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct AdlEntry<AccountId> {
	/// The position's owner.
	pub who: AccountId,
	/// Its side.
	pub side: Side,
	/// Its entry price: the lower for a long (the higher for a short), the more profitable it is
	/// relative to its size, and the earlier it is closed.
	pub entry_price: crate::Price,
}
