//! A segment's market, its risk parameters and its positions.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use segment_interface::{Balance, Moment, OracleKey, Price, SiloId};
use sp_runtime::{FixedI128, Perbill, Permill};

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
	/// The block `funding_index` was last brought up to.
	pub funding_updated: BlockNumber,
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
}
