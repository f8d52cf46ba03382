//! A silo's books: plain data, checked arithmetic.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use segment_interface::{AccountFlow, Balance, OrderTiming, SegmentId};
use sp_runtime::ArithmeticError;

/// Whether a silo takes new deposits.
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
pub enum SiloStatus {
	/// Takes deposits and margin locks as usual.
	Active,
	/// Takes no new liquidity or margin deposits; withdrawals, settlements and insurance
	/// funding still work.
	Frozen,
}

/// What a silo owes its liquidity providers and its insurance fund. Everything else its account
/// holds is traders' margin (free, locked behind positions, or escrowed for the gateway), which
/// lives in each trader's [`MarginAccount`] alone: moving margin, or taking it in and out of
/// the silo, writes the trader's account and never the silo. `try_state` checks that the
/// account holds `lp_liquidity + insurance` plus every trader's margin.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct Books {
	/// What the liquidity providers own: the counterparty pool of the segment's traders.
	pub lp_liquidity: Balance,
	/// Pool shares outstanding; each is a claim on the pool's value (liquidity less the
	/// segment's pending trader PnL) over `lp_shares`.
	pub lp_shares: Balance,
	/// The silo's own insurance fund; it absorbs bad debt before the LPs do.
	pub insurance: Balance,
}

impl Books {
	/// What the silo owes its LPs and its insurance fund.
	pub fn reserved(&self) -> Result<Balance, ArithmeticError> {
		self.lp_liquidity.checked_add(self.insurance).ok_or(ArithmeticError::Overflow)
	}

	/// Shares minted for depositing `amount` into a pool worth `value` (marked to market, see
	/// [`segment_interface::pool`]): pro rata, rounded down (in the pool's favour), or one per
	/// unit into a pool without shares. `None` when the pool has shares but is worth nothing at
	/// this price: a deposit cannot be priced until positions close or are deleveraged.
	pub fn shares_for(&self, amount: Balance, value: Balance) -> Option<Balance> {
		if self.lp_shares == 0 {
			return Some(amount);
		}
		if value == 0 {
			return None;
		}
		mul_div_floor(amount, self.lp_shares, value)
	}

	/// What burning `shares` of a pool worth `value` pays out, rounded down (in the pool's
	/// favour).
	pub fn amount_for(&self, shares: Balance, value: Balance) -> Option<Balance> {
		if self.lp_shares == 0 {
			return Some(0);
		}
		mul_div_floor(shares, value, self.lp_shares)
	}
}

/// `a * b / c`, rounded down, without intermediate overflow; `None` if `c` is zero or the result
/// does not fit.
pub fn mul_div_floor(a: Balance, b: Balance, c: Balance) -> Option<Balance> {
	sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		a,
		b,
		c,
		sp_runtime::Rounding::Down,
	)
}

/// One silo: which asset, for which segment, and its books.
#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct SiloInfo<AssetId> {
	/// The one collateral asset the silo holds.
	pub asset: AssetId,
	/// The one segment the silo backs.
	pub segment: SegmentId,
	pub status: SiloStatus,
	/// Most the silo may hold from LP and margin deposits.
	pub deposit_cap: Balance,
	/// The least an account in this silo starts with, and the least a withdrawal may leave
	/// behind (margin with nothing locked or escrowed, or an LP's stake): storage nobody fills
	/// with dust for free. Above zero.
	pub min_deposit: Balance,
	pub books: Books,
	/// Every unit of bad debt this silo has absorbed since it was created (insurance and LPs
	/// together). A record for health views; not part of [`Books::reserved`].
	pub bad_debt: Balance,
	/// Every position fee, and every execution fee of an order that ended unfilled, paid to
	/// the LPs (already in `books.lp_liquidity`). A record.
	pub fees_to_lps: Balance,
	/// Every position fee paid to the insurance fund (already in `books.insurance`). A record.
	pub fees_to_insurance: Balance,
}

/// A silo's figures as the runtime API shows them: what [`crate::Pallet::summary`] returns.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub struct SiloSummary {
	/// The one segment the silo backs.
	pub segment: SegmentId,
	/// What the silo account holds.
	pub value: Balance,
	/// What the liquidity providers own.
	pub lp_liquidity: Balance,
	/// Pool shares outstanding.
	pub lp_shares: Balance,
	/// The insurance fund.
	pub insurance: Balance,
	/// All bad debt absorbed since the silo was created.
	pub bad_debt: Balance,
	/// Every position fee, and every execution fee of an order that ended unfilled, paid to
	/// the LPs.
	pub fees_to_lps: Balance,
	/// Every position fee paid to the insurance fund.
	pub fees_to_insurance: Balance,
	/// What the account holds beyond the LPs' liquidity and the insurance fund: traders'
	/// margin (free, locked and escrowed), and anything sent to it directly.
	pub beyond_pool: Balance,
}

/// One trader's margin in one silo.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct MarginAccount {
	/// Withdrawable, or available to lock behind a position.
	pub free: Balance,
	/// Behind open positions.
	pub locked: Balance,
	/// Set aside for pending gateway transfers.
	pub escrowed: Balance,
}

impl MarginAccount {
	/// Holds nothing: such an account is removed from storage.
	pub fn is_empty(&self) -> bool {
		self.free == 0 && self.locked == 0 && self.escrowed == 0
	}

	/// Free, locked and escrowed together; `None` if that does not fit in a balance.
	pub fn total(&self) -> Option<Balance> {
		self.free.checked_add(self.locked)?.checked_add(self.escrowed)
	}

	/// Free margin, more than nothing but less than `minimum`, with no position behind the
	/// account. Escrow does not count: it leaves with its transfer (or returns to free margin).
	pub fn is_dust(&self, minimum: Balance) -> bool {
		self.locked == 0 && self.free > 0 && self.free < minimum
	}
}

/// One account's place in one silo, in one storage entry so that whatever the account does
/// there writes it once: its margin, its pool shares, and its flows through the silo, which
/// the breaker measures withdrawals by.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct SiloAccount<BlockNumber> {
	/// Its margin as a trader.
	pub margin: MarginAccount,
	/// Its shares of the silo's pool (not those waiting in the exit queue).
	pub shares: Balance,
	/// What it brought in and has not taken back (its principal), and what it took beyond
	/// that over the segment's outflow window: the breaker's to change.
	pub flow: AccountFlow<BlockNumber>,
}

impl<N> SiloAccount<N> {
	/// Holds nothing and has nothing to remember: such an entry is removed from storage.
	pub fn is_empty(&self) -> bool {
		self.margin.is_empty() && self.shares == 0 && self.flow.is_empty()
	}
}

/// What a liquidity provider's order does once its price is out.
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
pub enum LpOrderKind {
	/// Deposit this much into the pool, for shares priced at the pool's value then.
	Provide(Balance),
	/// Burn this many shares, for their part of the pool's value then.
	Withdraw(Balance),
}

/// A liquidity provider's pending deposit or withdrawal: priced at the first price published
/// after its request and the segment's delay, as a trade's order fills. What it moves is
/// escrowed in the silo until then: a deposit's amount in the account's escrowed margin, a
/// withdrawal's shares here; its execution fee in escrowed margin too.
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
pub struct LpOrder {
	/// Deposit or withdrawal.
	pub kind: LpOrderKind,
	/// Paid to whoever executes it; to the LPs if it ends unfilled once its price is out;
	/// back to its requester if cancelled before.
	pub execution_fee: Balance,
	/// When it may fill.
	pub timing: OrderTiming,
}

impl LpOrder {
	/// The margin it holds in escrow: a deposit's amount and the fee.
	pub fn escrowed_margin(&self) -> Option<Balance> {
		match self.kind {
			LpOrderKind::Provide(amount) => amount.checked_add(self.execution_fee),
			LpOrderKind::Withdraw(_) => Some(self.execution_fee),
		}
	}

	/// The pool shares it holds in escrow.
	pub fn escrowed_shares(&self) -> Balance {
		match self.kind {
			LpOrderKind::Provide(_) => 0,
			LpOrderKind::Withdraw(shares) => shares,
		}
	}
}

/// Why an LP order ended without filling.
#[derive(Clone, Copy, Encode, Decode, DecodeWithMemTracking, Eq, PartialEq, Debug, TypeInfo)]
pub enum LpOrderEnd {
	/// Its requester cancelled it before its delay passed.
	Cancelled,
	/// No price came within its window, or nobody executed it in time.
	Expired,
	/// It failed at the price it was to fill at: the error says why (the pool's PnL factors or
	/// reserve, the breaker, a later price a position moved at, the outflow rules).
	Failed(sp_runtime::DispatchError),
	/// Its market began to settle before it filled (or, for a deposit, was delisted):
	/// everything escrowed went back to its requester.
	MarketEnded,
	/// A deposit whose silo the admin froze before it filled: everything escrowed went back
	/// to its requester.
	SiloFrozen,
}

/// What an exit takes out of a silo.
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
pub enum ExitRequest {
	/// This much free margin.
	Margin(Balance),
	/// This many pool shares, each slice priced at the pool's marked value when it is paid.
	Liquidity(Balance),
}

impl ExitRequest {
	/// What is left to pay: an amount of margin or a number of shares.
	pub fn remaining(&self) -> Balance {
		match self {
			ExitRequest::Margin(amount) | ExitRequest::Liquidity(amount) => *amount,
		}
	}

	/// The same kind of request for `remaining`.
	pub fn with_remaining(self, remaining: Balance) -> Self {
		match self {
			ExitRequest::Margin(_) => ExitRequest::Margin(remaining),
			ExitRequest::Liquidity(_) => ExitRequest::Liquidity(remaining),
		}
	}
}

/// What one account has waiting in one silo's exit queue: bounded per account
/// ([`crate::Config::MaxExitsPerAccount`]), and part of what the account holds in the silo.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct Queued {
	/// Its live entries.
	pub entries: u32,
	/// Margin waiting in them.
	pub margin: Balance,
	/// Pool shares waiting in them.
	pub shares: Balance,
}

impl Queued {
	/// The part of `request` that waits in the queue goes (`entries` is the caller's).
	pub fn take(&mut self, request: ExitRequest) {
		match request {
			ExitRequest::Margin(amount) => self.margin = self.margin.saturating_sub(amount),
			ExitRequest::Liquidity(shares) => self.shares = self.shares.saturating_sub(shares),
		}
	}

	/// `request` waits in the queue too; `None` on overflow.
	pub fn with(mut self, request: ExitRequest) -> Option<Self> {
		match request {
			ExitRequest::Margin(amount) => self.margin = self.margin.checked_add(amount)?,
			ExitRequest::Liquidity(shares) => self.shares = self.shares.checked_add(shares)?,
		}
		self.entries = self.entries.checked_add(1)?;
		Some(self)
	}
}

/// Where a silo's exit queue is at: entries lie in `head..tail`, with holes where exits were
/// cancelled or paid out of order. The span `tail - head` is bounded too (twice
/// [`crate::Config::MaxQueuedExits`]), so holes behind a slow head entry stay few enough for one
/// [`crate::Pallet::process_exits`] to pass over.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct ExitQueue {
	/// The oldest entry that may still be waiting.
	pub head: u32,
	/// The index the next entry takes.
	pub tail: u32,
	/// Entries waiting: what the queue's bound counts.
	pub live: u32,
}

/// One queued exit: whose, and what is left to pay. Escrowed in the entry: the margin or shares
/// left the account when it queued.
#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Exit<AccountId> {
	pub who: AccountId,
	pub request: ExitRequest,
	/// For shares, the price their next slice is paid at, as an LP order's
	/// ([`segment_interface::PoolRisk::exposure_for_order`]): the first one published after
	/// the segment's order delay from when the entry was queued or last paid or priced anew.
	/// `None` for margin, which no price values, and for share exits queued before prices were
	/// timed (storage version 6), priced anew when the queue next reaches them.
	pub priced_at: Option<OrderTiming>,
}

impl<AccountId> Exit<AccountId> {
	/// Cancelled by its owner: nothing left in it, and the place is kept until the head of
	/// the queue passes it (a paid exit leaves no entry).
	pub fn is_cancelled(&self) -> bool {
		self.request.remaining() == 0
	}
}

#[cfg(test)]
mod tests;
