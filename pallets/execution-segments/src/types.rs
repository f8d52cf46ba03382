//! A segment's market, its risk parameters and its positions.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use frame_support::{traits::Get, BoundedVec};
use scale_info::TypeInfo;
use segment_interface::{Balance, Moment, OracleKey, Price, SiloId};
use sp_runtime::{FixedI128, FixedU128, Perbill, Permill};

/// Which way a position faces.
pub use segment_interface::Side;

/// A segment's own risk parameters.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct RiskParams {
	/// Margin needed to open or grow a position, as a share of its value.
	pub initial_margin: Permill,
	/// Below this share of its value in equity, a position may be liquidated.
	pub maintenance_margin: Permill,
	/// Most a position's size may be, as a multiple of its margin.
	pub max_leverage: u32,
	/// The liquidator's fee, as a share of the liquidated position's value.
	pub liquidation_fee: Permill,
	/// Most open interest on each side, in collateral units.
	pub max_open_interest: Balance,
	/// Most open interest on each side, as a share of the silo's LP liquidity.
	pub max_oi_share: Permill,
	/// Oldest oracle price (milliseconds) the segment trades on.
	pub max_oracle_age: Moment,
	/// Funding per block at full skew (all open interest on one side), paid by the heavier side.
	pub funding_rate: Perbill,
	/// The smallest position (notional at entry) the segment keeps: a position is opened at
	/// least this big and decreased to zero or to at least this, so nobody fills storage with
	/// dust positions. Above zero.
	pub min_position_size: Balance,
	/// What the segment's trades pay its silo's pool and how the pool guards itself.
	pub pool: PoolParams,
}

/// A segment's pool economics: the factors its silo's pool is valued and guarded by, the fees
/// and price impact of its trades, its borrowing rate, auto-deleveraging and the keeper deposit.
/// `docs/economics.md` explains each with a worked example.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct PoolParams {
	/// Most trader profit per side counted against the pool for trading and deposits, and
	/// paid out at a close, as a share of the pool's liquidity (GMX's max PnL factor). Below
	/// 100%: the pool never pays out all it has.
	pub max_pnl_factor: Permill,
	/// The same for LP withdrawals, which wait while a side's profit is above it. At most
	/// `max_pnl_factor`.
	pub max_pnl_factor_withdrawals: Permill,
	/// Most of the pool's value open interest may reserve, after an open or a withdrawal.
	pub reserve_factor: Permill,
	/// Position fee, of the notional traded, for a trade that reduces the long/short skew.
	pub fee_reducing: Permill,
	/// Position fee for a trade that increases the skew. At least `fee_reducing`.
	pub fee_increasing: Permill,
	/// The share of every position fee that goes to the silo's insurance fund; the rest goes
	/// to the LPs.
	pub fee_insurance_share: Permill,
	/// The skew (long minus short open interest) at which price impact would reach 100%
	/// (Synthetix's skew scale). Above zero.
	pub skew_scale: Balance,
	/// Most a trade's fill may be worse than the oracle price.
	pub max_impact_worse: Permill,
	/// Most a trade's fill may be better than the oracle price. Below `max_impact_worse`.
	pub max_impact_better: Permill,
	/// The utilization (a side's open interest over the pool's liquidity) where the borrowing
	/// rate turns steeper. Above zero, below 100%.
	pub borrow_kink: Permill,
	/// The borrowing rate per year at the kink.
	pub borrow_rate_at_kink: FixedU128,
	/// The borrowing rate per year at full utilization. At least `borrow_rate_at_kink`.
	pub borrow_rate_max: FixedU128,
	/// Auto-deleveraging may start on a side once its capped pending profit is above this
	/// share of the pool's liquidity. At most `max_pnl_factor`.
	pub adl_trigger: Permill,
	/// Auto-deleveraging stops at this share. Below `adl_trigger`.
	pub adl_floor: Permill,
	/// Locked with every new position on top of its margin, returned when it closes, paid to
	/// whoever liquidates it whatever it has left. Above zero.
	pub keeper_deposit: Balance,
}

impl PoolParams {
	/// The defaults Bulkhead's demo markets use (GMX's and Synthetix's orders of magnitude):
	/// PnL factors 90% and 70%, reserve 90%, fees 4 and 6 basis points with a fifth to
	/// insurance, impact at most 0.5% worse and 0.4% better, borrowing 50% a year at a 75%
	/// kink and 120% at full utilization, auto-deleveraging from 85% down to 77%. The skew
	/// scale and the keeper deposit are amounts of the segment's collateral.
	pub fn with_defaults(skew_scale: Balance, keeper_deposit: Balance) -> Self {
		PoolParams {
			max_pnl_factor: Permill::from_percent(90),
			max_pnl_factor_withdrawals: Permill::from_percent(70),
			reserve_factor: Permill::from_percent(90),
			fee_reducing: Permill::from_parts(400),
			fee_increasing: Permill::from_parts(600),
			fee_insurance_share: Permill::from_percent(20),
			skew_scale,
			max_impact_worse: Permill::from_parts(5_000),
			max_impact_better: Permill::from_parts(4_000),
			borrow_kink: Permill::from_percent(75),
			borrow_rate_at_kink: FixedU128::from_rational(1, 2),
			borrow_rate_max: FixedU128::from_rational(6, 5),
			adl_trigger: Permill::from_percent(85),
			adl_floor: Permill::from_percent(77),
			keeper_deposit,
		}
	}

	/// Every factor in range and ordered as its docs say.
	pub fn is_valid(&self) -> bool {
		let one = Permill::one();
		!self.max_pnl_factor.is_zero()
			&& self.max_pnl_factor < one
			&& !self.max_pnl_factor_withdrawals.is_zero()
			&& self.max_pnl_factor_withdrawals <= self.max_pnl_factor
			&& !self.reserve_factor.is_zero()
			&& self.fee_reducing <= self.fee_increasing
			&& self.fee_increasing < one
			&& self.skew_scale > 0
			&& self.max_impact_better < self.max_impact_worse
			&& self.max_impact_worse < one
			&& !self.borrow_kink.is_zero()
			&& self.borrow_kink < one
			&& self.borrow_rate_at_kink <= self.borrow_rate_max
			&& !self.adl_floor.is_zero()
			&& self.adl_floor < self.adl_trigger
			&& self.adl_trigger <= self.max_pnl_factor
			&& self.keeper_deposit > 0
	}
}

impl RiskParams {
	/// Maintenance below initial, a fee inside maintenance, and no zero that would make a
	/// position unliquidatable or let dust positions in. A zero `max_open_interest` is valid:
	/// it stops new opens, as for a market winding down, while every position can still close.
	pub fn is_valid(&self) -> bool {
		!self.maintenance_margin.is_zero()
			&& self.maintenance_margin < self.initial_margin
			&& self.liquidation_fee <= self.maintenance_margin
			&& self.max_leverage >= 1
			&& !self.max_oi_share.is_zero()
			&& self.max_oracle_age > 0
			&& self.min_position_size > 0
			&& self.pool.is_valid()
	}
}

/// One perpetual-futures market.
#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct SegmentInfo<BlockNumber> {
	/// The one silo that holds this segment's collateral.
	pub silo: SiloId,
	/// The oracle feed this market trades on.
	pub oracle_key: OracleKey,
	pub risk: RiskParams,
	/// Open interest (notional at entry) of all longs.
	pub long_oi: Balance,
	/// Open interest (notional at entry) of all shorts.
	pub short_oi: Balance,
	/// Cumulative funding paid per unit of notional, long to short.
	pub funding_index: FixedI128,
	/// The block `funding_index` (and each side's borrowing index) was last brought up to.
	pub funding_updated: BlockNumber,
	/// What the longs hold together, to value them without visiting positions.
	pub longs: SideBook,
	/// What the shorts hold together.
	pub shorts: SideBook,
}

/// One side of a segment, summed over its positions, so that its pending PnL, funding and
/// borrowing are computed in O(1) (as GMX keeps open interest in tokens and USD per side).
/// Each position adds exactly what it removes again (`Pallet::tally`), so the sums stay
/// exact; `try_state` checks them.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct SideBook {
	/// Units of the underlying held: the sum of `size / oracle_entry`, as an 18-decimal
	/// fixed-point number ([`crate::math::units_of`]).
	pub units: u128,
	/// The sum of `size * funding_index` at entry (inner fixed-point values).
	pub funding_entry: i128,
	/// The sum of `size * borrow_index` at entry (inner fixed-point values).
	pub borrow_entry: i128,
	/// Cumulative borrowing fee per unit of notional this side has owed since the segment
	/// began.
	pub borrow_index: FixedI128,
}

/// A segment's figures as the runtime API shows them: what [`crate::Pallet::summary`]
/// returns.
#[derive(Clone, Eq, PartialEq, Debug)]
pub struct SegmentSummary {
	/// The one silo that holds the segment's collateral.
	pub silo: SiloId,
	/// The oracle feed it trades on.
	pub oracle_key: OracleKey,
	/// Open interest (notional at entry) of all longs.
	pub long_oi: Balance,
	/// Open interest (notional at entry) of all shorts.
	pub short_oi: Balance,
	/// Where the market is in its life.
	pub market: segment_interface::MarketStatus,
}

/// A segment's side of its pool, as the runtime API shows it: what
/// [`crate::Pallet::pool_view`] returns, for the runtime to join with its silo's books.
#[derive(Clone, Eq, PartialEq, Debug)]
pub struct SegmentPool<AccountId> {
	/// The silo holding the pool.
	pub silo: SiloId,
	/// Both sides' pending PnL and the value reserved at the oracle price; `None` without a
	/// fresh price while there is open interest.
	pub exposure: Option<segment_interface::PoolExposure>,
	/// Most trader profit per side counted against the pool.
	pub max_pnl_factor: Permill,
	/// Auto-deleveraging starts above this share of the pool's value.
	pub adl_trigger: Permill,
	/// And stops at this one.
	pub adl_floor: Permill,
	/// The yearly borrowing rate longs pay now.
	pub borrowing_rate_long: FixedU128,
	/// The yearly borrowing rate shorts pay now.
	pub borrowing_rate_short: FixedU128,
	/// The first entries of each side's ADL queue, in order.
	pub adl_queue: alloc::vec::Vec<segment_interface::views::AdlEntry<AccountId>>,
}

/// One trader's position in one segment.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Position {
	pub side: Side,
	/// Notional at `entry_price`, in collateral units.
	pub size: Balance,
	/// The (size-weighted) entry price.
	pub entry_price: Price,
	/// Margin locked in the silo behind this position.
	pub margin: Balance,
	/// The segment's funding index this position owes from.
	pub funding_index: FixedI128,
	/// Its side's borrowing index this position owes from.
	pub borrow_index: FixedI128,
	/// The (size-weighted) oracle price when it was opened or grown: the pool values the
	/// position from this, not from `entry_price`, so the price impact of its fill counts for
	/// the pool only when the position closes. (Counted at once, a trade that reduces the skew
	/// would lower the pool's value by its better fill until it closes again at the same
	/// premium, and a deposit in between would buy shares cheap.)
	pub oracle_entry: Price,
	/// Locked beside `margin` when the position opened: back to the owner at close, to the
	/// liquidator otherwise.
	pub keeper_deposit: Balance,
}

/// What an order asks for: the trade it fills as, at a price published after it.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum OrderKind {
	/// Open a position of `size` on `side`, or increase the one held on that side, locking
	/// `margin` behind it (escrowed from the request on).
	Increase { side: Side, size: Balance, margin: Balance },
	/// Decrease the position by `size`.
	Decrease { size: Balance },
	/// Close the whole position (its size when the order fills).
	Close,
}

/// A trader's pending order in one segment.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Order {
	/// The trade.
	pub kind: OrderKind,
	/// The worst fill price (impact included) the trader takes: the most a buy (a long
	/// opening or a short closing) pays, the least a sell receives.
	pub acceptable_price: Price,
	/// Paid to whoever executes the order when it fills, to the segment's LPs when it ends
	/// unfilled; escrowed with the margin.
	pub execution_fee: Balance,
	/// When it was requested (milliseconds).
	pub requested_at: Moment,
	/// It fills at the first price the oracle's majority fed for at or after this (and after
	/// the request):
	/// `requested_at` plus the segment's minimum delay when it was requested.
	pub fills_from: Moment,
	/// That price must be published by this (`fills_from` plus the segment's window when it
	/// was requested), or the order expires.
	pub expires_at: Moment,
}

impl Order {
	/// When it may fill.
	pub fn timing(&self) -> segment_interface::OrderTiming {
		segment_interface::OrderTiming {
			requested_at: self.requested_at,
			fills_from: self.fills_from,
			expires_at: self.expires_at,
		}
	}

	/// Whether the order opens or grows a position (new risk).
	pub fn is_increase(&self) -> bool {
		matches!(self.kind, OrderKind::Increase { .. })
	}
}

/// A price the oracle published for a segment, as the breaker judged it: what orders fill at.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct PriceRound {
	/// The oracle's price.
	pub price: Price,
	/// The oracle's time for it (milliseconds): the oldest of the feeds that make it, so every
	/// value in it was fed at or after this.
	pub timestamp: Moment,
	/// When the chain noted it (the block's time, milliseconds). A round is final once its
	/// block is: the last price noted in a block stands for the block.
	pub published: Moment,
	/// The last price the breaker accepted when this one came: `price` itself unless the
	/// breaker rejected it.
	pub accepted: Price,
}

impl PriceRound {
	/// Whether the breaker accepted this price.
	pub fn is_accepted(&self) -> bool {
		self.accepted == self.price
	}
}

/// How a segment's orders are timed (milliseconds). An order keeps the timing it was requested
/// under.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct OrderParams {
	/// An order fills at the first price the oracle combines once a majority of operators
	/// have fed at least this long after its request: longer than a price update may wait in
	/// the transaction pool, so that no update anyone could see when the order was requested
	/// fills it. Above zero.
	pub min_delay: Moment,
	/// The first price after the delay must be published within this; and the order must be
	/// executed within this of that price's publication. Otherwise it expires.
	pub window: Moment,
}

impl OrderParams {
	/// Longest minimum delay and window the admin may set: an hour each.
	pub const MAX: Moment = 60 * 60 * 1000;

	/// A delay and a window above zero, each at most [`OrderParams::MAX`]. (Without a delay
	/// a price update waiting in the pool when the order was made could fill it.)
	pub fn is_valid(&self) -> bool {
		(1..=Self::MAX).contains(&self.min_delay) && (1..=Self::MAX).contains(&self.window)
	}
}

/// What an ending market owes its winners. A winner's profit at the settlement price is its
/// claim ([`crate::Claims`]); once every position is settled, and so every loss is in, the
/// market pays the same share of every claim, all of it unless the pool holds less than the
/// claims above `floor`.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
)]
pub struct SettlementBook {
	/// What the pool keeps for its LPs whatever the claims: its liquidity when settling began,
	/// less the segment's max PnL factor of it (as a close never pays out more than that).
	pub floor: Balance,
	/// The claims not paid yet, in full.
	pub claims: Balance,
	/// The share of each claim paid, fixed when the market is delisted.
	pub payout: Option<sp_runtime::Perquintill>,
}

/// Why an order ended without filling.
#[derive(Clone, Copy, Encode, Decode, DecodeWithMemTracking, Eq, PartialEq, Debug, TypeInfo)]
pub enum OrderEnd {
	/// Its requester cancelled it before its delay passed.
	Cancelled,
	/// No price came within its window, or nobody executed it in time.
	Expired,
	/// Its trade failed at the price it was to fill at: the error says why (the acceptable
	/// price missed, margin, caps, the breaker).
	Failed(sp_runtime::DispatchError),
	/// Its market settled before it filled: everything escrowed went back to its requester.
	MarketEnded,
}

/// A segment's latest prices, oldest first (at most `S`, one per block), and the oracle's time
/// of the newest one it has forgotten: whether an order's first price is still among them.
#[derive(
	frame_support::CloneNoBound,
	frame_support::PartialEqNoBound,
	frame_support::EqNoBound,
	frame_support::DebugNoBound,
	frame_support::DefaultNoBound,
	Encode,
	Decode,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(S))]
#[codec(mel_bound())]
pub struct RecentPrices<S: Get<u32>> {
	/// Oldest first, one per block (publication time).
	pub rounds: BoundedVec<PriceRound, S>,
	/// The oracle's time of the newest round dropped to make room (0: none).
	pub forgotten: Moment,
}

impl<S: Get<u32>> RecentPrices<S> {
	/// Remember `round`: in place of the last one if noted in the same block (the last price
	/// combined in a block stands for it), after it if later; not at all if the oracle's time
	/// for it is older than the last round's, or it was noted earlier; forgetting the oldest
	/// when full.
	pub fn note(&mut self, round: PriceRound) {
		match self.rounds.last_mut() {
			Some(last) if last.timestamp > round.timestamp || last.published > round.published => {
			},
			Some(last) if last.published == round.published => *last = round,
			_ => {
				if self.rounds.is_full() && !self.rounds.is_empty() {
					self.forgotten = self.rounds.remove(0).timestamp;
				}
				// Room was made above; a bound of zero keeps nothing.
				let _ = self.rounds.try_push(round);
			},
		}
	}

	/// The first round whose oracle time (when the last of the majority behind it had fed) is
	/// after `after` and at or after `from`.
	pub fn first_after(&self, after: Moment, from: Moment) -> FirstPrice {
		let eligible = |t: Moment| t > after && t >= from;
		if eligible(self.forgotten) {
			return FirstPrice::Forgotten;
		}
		match self.rounds.iter().find(|r| eligible(r.timestamp)) {
			Some(round) => FirstPrice::Found(*round),
			None => FirstPrice::NotYet,
		}
	}
}

/// What [`RecentPrices::first_after`] found.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub enum FirstPrice {
	/// The first price published in the span.
	Found(PriceRound),
	/// None yet.
	NotYet,
	/// One was, but has been forgotten since: which price was first is no longer known.
	Forgotten,
}

/// Where an order's execution fee goes when it ends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FeeTo<'a, AccountId> {
	/// To whoever executed it: it filled.
	Executor(&'a AccountId),
	/// To the segment's LPs: it ended unfilled once its price could be known.
	Lps,
	/// Back to its owner: cancelled before anything priced it.
	Owner,
	/// Kept in escrow for now.
	Held,
}
