//! # Collateral silos
//!
//! A silo holds one collateral asset for exactly one execution segment, in its own account
//! derived from the pallet id and the silo id. It is the only place where Bulkhead's funds sit.
//!
//! - **Liquidity providers** deposit into the silo's pool and receive pool shares; the pool is
//!   the counterparty of the segment's traders (as in GMX v2's isolated pools).
//! - **Traders** deposit margin; the segment locks it behind positions and settles profit and
//!   loss against the pool, only inside the silo bound to that segment.
//! - **The insurance fund** absorbs bad debt first; what it cannot cover falls on this silo's
//!   LPs, never on anyone else.
//!
//! ## Books
//!
//! The silo account's balance of the asset equals `lp_liquidity + insurance` ([`Books`]) plus
//! every trader's margin ([`MarginAccount`]: free, locked and escrowed). Traders' margin is
//! booked only in the traders' accounts, so deposits, withdrawals, locking and escrow write the
//! trader's account and not the silo. Each account has one entry per silo ([`Accounts`],
//! [`SiloAccount`]): its margin, its pool shares and its flow (principal, and what it took
//! beyond it, which the breaker measures), so a withdrawal writes the account once.
//! `try_state` checks the identity; the test builder runs it after every test and also checks
//! the balance to the unit.
//!
//! ## Calls
//!
//! - [`Pallet::create_silo`], [`Pallet::set_silo_params`] (admin origin)
//! - [`Pallet::request_lp_order`], [`Pallet::cancel_lp_order`] (LPs: deposit and withdraw
//!   liquidity through orders), [`Pallet::execute_lp_order`] (anyone)
//! - [`Pallet::deposit_margin`], [`Pallet::withdraw_margin`] (traders)
//! - [`Pallet::fund_insurance`] (anyone)
//! - [`Pallet::queue_exit`], [`Pallet::cancel_exit`] (LPs and traders), [`Pallet::process_exits`]
//!   (anyone)
//!
//! ## LP orders
//!
//! The pool is priced marked to market, so a deposit or a withdrawal at its value now would be
//! as oracle-sensitive as a trade: deposit before a price that makes traders lose, withdraw
//! after one that makes them win, with the next price visible in the transaction pool. So LPs
//! deposit and withdraw through orders, as GMX v2's deposits and withdrawals are: an order
//! escrows its amount (or shares) and an execution fee in the silo, and fills at the first
//! price the segment's oracle publishes after the segment's order delay
//! ([`PoolRisk::exposure_for_order`](segment_interface::PoolRisk::exposure_for_order)), whoever
//! executes it and whenever. It expires if that
//! price comes after the segment's window or it is not executed within the window of it, and
//! fails if a position of the segment moved at a later price before it was executed (the pool
//! would be marked older than a position in it); either way its escrow returns and its fee
//! goes to the LPs. The owner may cancel it while the delay runs.
//!
//! ## Outflow
//!
//! Money leaves a silo only if the breaker ([`Config::Monitor`]) admits it: what an account
//! brought in always may leave; beyond that, its share of the segment's outflow line. A
//! withdrawal past its share is refused; one that would cross the line is queued, not paid,
//! and the breaker severs the segment. Queued exits are paid in slices, oldest first, as the
//! window allows.
//!
//! ## Interface
//!
//! Implements [`MarginLedger`](segment_interface::MarginLedger) for execution segments, [`SiloTransfers`](segment_interface::SiloTransfers) for the gateway and
//! [`SiloDirectory`](segment_interface::SiloDirectory) for both. Reports every flow and every uncovered bad debt to
//! [`Config::Monitor`] (the circuit breaker), and asks [`Config::Health`] before letting LPs
//! leave a segment that is not normal.

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungibles::{metadata::Inspect as Metadata, Inspect, Mutate},
			tokens::Preservation,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use segment_interface::{
		Balance, Fee, MarginLedger, MarketStatus, OrderPricing, OrderTiming, OutflowVerdict, Pnl,
		PoolExposure, PoolRisk, SegmentHealth, SegmentId, Settlement, SettlementOutcome,
		SiloDirectory, SiloId, SiloMonitor, SiloTransfers, SiloValue,
	};
	use sp_runtime::{traits::AccountIdConversion, ArithmeticError};

	/// The most decimals a collateral asset may have. A segment keeps each side's
	/// `size * index` sums in `i128` at 18 decimals of index precision: with 10 decimals they hold
	/// a billion tokens of open interest through a cumulative funding or borrowing index of 17
	/// (1,700%); with 18 they would overflow within hours of borrowing at a million tokens, and
	/// every call that values the pool would fail until the open interest closed.
	pub const MAX_ASSET_DECIMALS: u8 = 10;

	/// The layout of this pallet's storage; [`migrations`] takes a chain from each version to
	/// the next.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(7);

	/// The asset id type of [`Config::Assets`].
	pub type AssetIdOf<T> =
		<<T as Config>::Assets as Inspect<<T as frame_system::Config>::AccountId>>::AssetId;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The collateral assets (e.g. `pallet-assets`). Bulkhead balances are `u128`.
		type Assets: Mutate<
				Self::AccountId,
				Balance = Balance,
				AssetId: sp_runtime::traits::MaybeSerializeDeserialize,
			> + Metadata<Self::AccountId>;
		/// May create silos and set their parameters.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The breaker's view of each segment.
		type Health: SegmentHealth;
		/// Told of every flow in and out of a silo, and of uncovered bad debt; decides whether
		/// money may leave.
		type Monitor: SiloMonitor<Self::AccountId, BlockNumberFor<Self>>;
		/// Most entries one silo's exit queue holds (cancelled and paid entries do not count).
		#[pallet::constant]
		type MaxQueuedExits: Get<u32>;
		/// Most entries one account may have waiting in one silo's exit queue.
		#[pallet::constant]
		type MaxExitsPerAccount: Get<u32>;
		/// Most LP orders pending in one silo (one per account; each escrows its fee, at least
		/// the segment's keeper deposit).
		#[pallet::constant]
		type MaxLpOrders: Get<u32>;
		/// Each segment's open positions as its pool sees them (execution segments): what
		/// prices LP shares and keeps withdrawals inside the reserve.
		type Pool: PoolRisk;
		/// Derives each silo's account.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// The chain's time: whether an LP order's delay has passed.
		type Time: frame_support::traits::UnixTime;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Gives the benchmarks a collateral asset.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<AssetIdOf<Self>>;
	}

	/// Every silo.
	// Twox64Concat is safe: silo ids are chosen by the admin, not by users.
	#[pallet::storage]
	pub type Silos<T: Config> =
		StorageMap<_, Twox64Concat, SiloId, SiloInfo<AssetIdOf<T>>, OptionQuery>;

	/// The silo that backs each segment: one each, both ways.
	// Twox64Concat is safe: segment ids are chosen by the admin.
	#[pallet::storage]
	pub type SiloOfSegment<T: Config> = StorageMap<_, Twox64Concat, SegmentId, SiloId, OptionQuery>;

	/// Each account's place in each silo: its margin, its pool shares and its flows (what the
	/// breaker measures it by), in one entry, so that a deposit or a withdrawal writes the
	/// account once. Dropped when it holds nothing and its flow has nothing to remember.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type Accounts<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Blake2_128Concat,
		T::AccountId,
		SiloAccount<BlockNumberFor<T>>,
		ValueQuery,
	>;

	/// Where each silo's exit queue is at.
	// Twox64Concat is safe: silo ids are chosen by the admin.
	#[pallet::storage]
	pub type ExitQueues<T: Config> = StorageMap<_, Twox64Concat, SiloId, ExitQueue, ValueQuery>;

	/// Each silo's queued exits, by place in its queue.
	// Twox64Concat is safe: silo ids are chosen by the admin, indices by the pallet.
	#[pallet::storage]
	pub type Exits<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Twox64Concat,
		u32,
		Exit<T::AccountId>,
		OptionQuery,
	>;

	/// What each account has waiting in each silo's exit queue; dropped when nothing waits.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type QueuedBy<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Blake2_128Concat,
		T::AccountId,
		Queued,
		ValueQuery,
	>;

	/// Each account's pending LP order in each silo: at most one.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type LpOrders<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Blake2_128Concat,
		T::AccountId,
		LpOrder,
		OptionQuery,
	>;

	/// How many LP orders are pending in each silo, at most [`Config::MaxLpOrders`].
	// Twox64Concat is safe: silo ids are chosen by the admin.
	#[pallet::storage]
	pub type LpOrderCount<T: Config> = StorageMap<_, Twox64Concat, SiloId, u32, ValueQuery>;

	/// Silos that exist from block 0, funded through the same paths as the calls: the LPs and
	/// insurance funders must hold the asset at genesis (pallet-assets builds first).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(silo, segment, asset, deposit_cap, min_deposit)`.
		pub silos: Vec<(SiloId, SegmentId, AssetIdOf<T>, Balance, Balance)>,
		/// `(silo, provider, amount)`: liquidity provided at genesis.
		pub liquidity: Vec<(SiloId, T::AccountId, Balance)>,
		/// `(silo, funder, amount)`: insurance funded at genesis.
		pub insurance: Vec<(SiloId, T::AccountId, Balance)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (silo, segment, asset, cap, min_deposit) in &self.silos {
				Pallet::<T>::do_create_silo(*silo, *segment, asset.clone(), *cap, *min_deposit)
					.expect("genesis silo must be creatable");
			}
			for (silo, who, amount) in &self.liquidity {
				Pallet::<T>::do_provide_liquidity(*silo, who, *amount)
					.expect("genesis liquidity provider must hold the amount");
			}
			for (silo, who, amount) in &self.insurance {
				Pallet::<T>::do_fund_insurance(*silo, who, *amount)
					.expect("genesis insurance funder must hold the amount");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A silo was created for `segment`; its funds sit in `account`.
		SiloCreated { silo: SiloId, segment: SegmentId, asset: AssetIdOf<T>, account: T::AccountId },
		/// The admin changed a silo's deposit cap, minimum deposit or status.
		SiloParamsSet {
			silo: SiloId,
			deposit_cap: Balance,
			min_deposit: Balance,
			status: SiloStatus,
		},
		/// An LP deposited `amount` and received `shares`, priced at the pool's marked value
		/// `pool_value` before the deposit.
		LiquidityProvided {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
			shares: Balance,
			pool_value: Balance,
		},
		/// An LP burned `shares` and received `amount`, priced at the pool's marked value
		/// `pool_value` before the withdrawal.
		LiquidityWithdrawn {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
			shares: Balance,
			pool_value: Balance,
		},
		/// A trader deposited free margin.
		MarginDeposited { silo: SiloId, who: T::AccountId, amount: Balance },
		/// A trader withdrew free margin.
		MarginWithdrawn { silo: SiloId, who: T::AccountId, amount: Balance },
		/// Someone added to the silo's insurance fund.
		InsuranceFunded { silo: SiloId, who: T::AccountId, amount: Balance },
		/// A settlement left `bad_debt`: the insurance fund paid `by_insurance`, the silo's LPs
		/// lost `by_lps`.
		BadDebtAbsorbed { silo: SiloId, bad_debt: Balance, by_insurance: Balance, by_lps: Balance },
		/// The gateway moved a trader's margin from one silo to another.
		MarginTransferred { from: SiloId, to: SiloId, who: T::AccountId, amount: Balance },
		/// `who`'s exit joined the silo's queue at `index`: asked for, or a withdrawal that would
		/// have taken the segment past its outflow line (the breaker severed it).
		ExitQueued { silo: SiloId, index: u32, who: T::AccountId, request: ExitRequest },
		/// A slice of a queued exit was paid: `amount` to `who` (for `shares` burnt, if it
		/// takes liquidity); `left` is what the entry still waits for.
		ExitPaid {
			silo: SiloId,
			index: u32,
			who: T::AccountId,
			amount: Balance,
			shares: Balance,
			left: ExitRequest,
		},
		/// `who` took a queued exit back: the margin or shares are theirs again.
		ExitCancelled { silo: SiloId, index: u32, who: T::AccountId, request: ExitRequest },
		/// A pass over the silo's exit queue looked at `visited` entries; `waiting` are still
		/// queued (a pass with nothing to pay says so too).
		ExitsProcessed { silo: SiloId, visited: u32, waiting: u32 },
		/// `who` asked to deposit into or withdraw from the pool; `order` says what, and
		/// from when it may fill.
		LpOrderRequested { silo: SiloId, who: T::AccountId, order: LpOrder },
		/// `executor` filled `who`'s LP order (at its fee): [`Event::LiquidityProvided`],
		/// [`Event::LiquidityWithdrawn`] or [`Event::ExitQueued`] follows.
		LpOrderExecuted { silo: SiloId, who: T::AccountId, executor: T::AccountId },
		/// `who`'s LP order ended unfilled: what it escrowed went back (a deposit's amount to
		/// free margin in the silo, shares to the account), and its fee to the LPs unless it
		/// was cancelled in time or its market ended.
		LpOrderEnded {
			silo: SiloId,
			who: T::AccountId,
			executor: Option<T::AccountId>,
			reason: LpOrderEnd,
		},
		/// The next slice of share exit `index` is paid at the first price `timing` allows
		/// (see [`Exit::priced_at`]): set when the exit queues, when a slice is paid, and when
		/// its price did not come in time or could not pay it.
		ExitPricedAt { silo: SiloId, index: u32, timing: OrderTiming },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A silo with this id exists already.
		SiloExists,
		/// The segment is backed by another silo already; a segment has exactly one.
		SegmentHasSilo,
		/// The collateral asset does not exist.
		UnknownAsset,
		/// The collateral asset has more decimals than a silo takes ([`MAX_ASSET_DECIMALS`]).
		AssetDecimalsTooHigh,
		/// No silo has this id.
		UnknownSilo,
		/// No silo was created for this segment.
		NoSiloForSegment,
		/// The silo is frozen: it takes no new deposits.
		SiloFrozen,
		/// The amount is zero.
		ZeroAmount,
		/// The deposit would take the silo past its deposit cap.
		DepositCapExceeded,
		/// The trader's free margin in this silo is less than the amount.
		InsufficientFreeMargin,
		/// The trader's locked margin in this silo is less than the amount.
		InsufficientLockedMargin,
		/// The trader's escrowed margin in this silo is less than the amount.
		InsufficientEscrow,
		/// The LP holds fewer shares than that.
		InsufficientShares,
		/// The pool has shares but is worth nothing at the current price (its segment's pending
		/// trader profit matches its liquidity): a deposit cannot be priced. Its liquidity never
		/// reaches zero while shares exist, so the value comes back as positions close or are
		/// auto-deleveraged.
		PoolDepleted,
		/// The deposit is too small to buy one pool share.
		DepositTooSmall,
		/// The silo's segment is severed or recovering: LPs cannot leave while it may still
		/// owe them losses.
		SegmentNotNormal,
		/// A route must join two different silos.
		SameSilo,
		/// The two silos hold different assets.
		AssetMismatch,
		/// The withdrawal would leave the silo account with less than the asset's minimum
		/// balance but more than nothing, and the asset would reap the account.
		SiloBelowMinimum,
		/// A silo's minimum deposit must be above zero.
		InvalidMinDeposit,
		/// The deposit would open an account in the silo (margin, or an LP stake) with less than
		/// the silo's minimum deposit: an account starts with at least the minimum, so nobody
		/// fills storage with dust. Top-ups of an existing account may be any size.
		DepositBelowMinimum,
		/// The withdrawal, or the escrow of an outgoing transfer, would leave less than the silo's
		/// minimum deposit behind (free margin with no position behind the account, or an LP's
		/// stake): take everything, or leave at least the minimum.
		RemainderBelowMinimum,
		/// A side of the segment holds, or after the withdrawal would hold, more pending profit
		/// than the segment's maximum PnL factor for withdrawals allows of the liquidity: LPs
		/// may not leave ahead of traders' claims on the pool.
		PnlTooHighToWithdraw,
		/// A side of the segment holds more pending profit than the segment's maximum PnL factor
		/// allows: a deposit now would raise what the traders' profit counts for rather than buy
		/// a share of the pool. Deposits price again once positions close or are deleveraged.
		PnlTooHighToDeposit,
		/// After the withdrawal, open interest would reserve more than the segment's reserve
		/// factor of the pool's value or of its liquidity, the smaller: that liquidity backs
		/// open positions.
		ReserveExceeded,
		/// The withdrawal is more than the pool's liquidity in the silo: part of the pool's
		/// value is traders' pending losses, not yet collected.
		PoolLiquidityShort,
		/// The fee is more than the margin it is paid out of.
		FeeExceedsMargin,
		/// The withdrawal takes more beyond what the account brought into the silo than its
		/// share of the segment's outflow window allows. The runtime API's `outflow_room` says
		/// how much may leave now; `queue_exit` pays the rest in slices as the window allows.
		AccountOutflowLimit,
		/// The withdrawal or transfer takes more than the account brought in while the segment's
		/// outflow line is closed (the segment is severed), or a transfer would cross the line.
		/// Principal may leave; the rest waits for the segment to recover (a gateway transfer
		/// stays pending until the window has room).
		SegmentOutflowLimit,
		/// The silo's exit queue is full ([`Config::MaxQueuedExits`] entries); it frees up as
		/// exits are paid or cancelled.
		ExitQueueFull,
		/// No queued exit has this index in this silo.
		UnknownExit,
		/// The queued exit is someone else's.
		NotExitOwner,
		/// A queued exit must be worth at least the silo's minimum deposit (its queue is
		/// bounded; dust would fill it).
		ExitBelowMinimum,
		/// The account already has [`Config::MaxExitsPerAccount`] exits waiting in this silo's
		/// queue: cancel one, or wait for one to be paid.
		TooManyExits,
		/// The account may take all of this out now (the runtime API's `outflow_room` says how
		/// much): withdraw it instead. The queue is for what the outflow line holds back.
		ExitNotNeeded,
		/// The silo's market is settling or delisted: it takes nothing new (no liquidity,
		/// margin or insurance); what it holds only leaves.
		MarketEnded,
		/// The execution fee is below the segment's keeper deposit: an order must pay whoever
		/// executes it, and pays for the storage it takes.
		ExecutionFeeTooLow,
		/// The account has an LP order pending in this silo already: one at a time.
		LpOrderPending,
		/// The silo has [`Config::MaxLpOrders`] LP orders pending; it frees up as they fill.
		TooManyLpOrders,
		/// The account has no LP order pending in this silo.
		NoLpOrder,
		/// The LP order's price is not out yet, or was published in this block: execute it
		/// after the next price.
		LpOrderNotReady,
		/// The LP order's delay has passed: it waits for its price, and only executes or
		/// expires.
		LpOrderCommitted,
		/// The silo's market is settling: no LP share is priced until every position is
		/// settled and the market delisted (then LPs withdraw at its value).
		MarketSettling,
		/// The share exit's next slice may be paid now, at its price ([`Exit::priced_at`]):
		/// it cannot be taken back until that price can pay it no more (taking it back when
		/// the price suits would be an option on it).
		ExitPriced,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			// Silo accounts are derived by truncation: an account type too short to hold the
			// pallet id and a silo id would give different silos one account.
			assert!(
				Self::account_id(0) != Self::account_id(1)
					&& Self::account_id(1) != Self::account_id(SiloId::MAX),
				"AccountId is too short to derive distinct silo accounts"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Create silo `silo` holding `asset` for `segment`, taking deposits up to
		/// `deposit_cap`; an account in it starts with at least `min_deposit`.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::SiloCreated`].
		/// Errors: [`Error::SiloExists`], [`Error::SegmentHasSilo`], [`Error::UnknownAsset`],
		/// [`Error::AssetDecimalsTooHigh`], [`Error::InvalidMinDeposit`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_silo())]
		pub fn create_silo(
			origin: OriginFor<T>,
			silo: SiloId,
			segment: SegmentId,
			asset: AssetIdOf<T>,
			deposit_cap: Balance,
			min_deposit: Balance,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_create_silo(silo, segment, asset, deposit_cap, min_deposit)
		}

		/// Set a silo's deposit cap, minimum deposit and status. A new minimum binds deposits
		/// and withdrawals from now on; accounts already below it keep what they hold.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::SiloParamsSet`].
		/// Errors: [`Error::UnknownSilo`], [`Error::InvalidMinDeposit`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_silo_params())]
		pub fn set_silo_params(
			origin: OriginFor<T>,
			silo: SiloId,
			deposit_cap: Balance,
			min_deposit: Balance,
			status: SiloStatus,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_silo_params(silo, deposit_cap, min_deposit, status)
		}

		/// Deposit `amount` as free margin, ready to back positions in the silo's segment. A
		/// deposit that opens the trader's account in the silo must be at least the silo's
		/// minimum deposit.
		///
		/// Origin: signed. Emits [`Event::MarginDeposited`]. Errors: [`Error::UnknownSilo`],
		/// [`Error::ZeroAmount`], [`Error::SiloFrozen`], [`Error::MarketEnded`],
		/// [`Error::DepositCapExceeded`], [`Error::DepositBelowMinimum`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::deposit_margin())]
		pub fn deposit_margin(
			origin: OriginFor<T>,
			silo: SiloId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deposit_margin(silo, &who, amount)
		}

		/// Withdraw `amount` of free margin. An account with nothing locked or escrowed must be
		/// left empty or with at least the silo's minimum deposit. What the account takes
		/// beyond what it brought in counts against the segment's outflow line: past the
		/// account's share of it the withdrawal is refused; past the line itself it is not
		/// paid but queued (see [`Pallet::queue_exit`]), and the breaker severs the segment.
		///
		/// Origin: signed. Emits [`Event::MarginWithdrawn`], or [`Event::ExitQueued`].
		/// Errors: [`Error::UnknownSilo`], [`Error::ZeroAmount`],
		/// [`Error::InsufficientFreeMargin`], [`Error::RemainderBelowMinimum`],
		/// [`Error::SiloBelowMinimum`], [`Error::AccountOutflowLimit`],
		/// [`Error::ExitQueueFull`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_margin())]
		pub fn withdraw_margin(
			origin: OriginFor<T>,
			silo: SiloId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_margin(silo, &who, amount)
		}

		/// Add `amount` to the silo's insurance fund. Anyone may; nobody can take it back out
		/// except as bad-debt cover.
		///
		/// Origin: signed. Emits [`Event::InsuranceFunded`]. Errors: [`Error::UnknownSilo`],
		/// [`Error::ZeroAmount`], [`Error::MarketEnded`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::fund_insurance())]
		pub fn fund_insurance(
			origin: OriginFor<T>,
			silo: SiloId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_fund_insurance(silo, &who, amount)
		}

		/// Queue an exit: free margin, or pool shares, to be paid out in slices as the
		/// segment's outflow window allows, in queue order, by [`Pallet::process_exits`]. What
		/// is queued leaves the account at once and waits in the entry (shares keep their part
		/// of the pool's gains and losses until each slice is priced, as an LP order is: at the
		/// first price published the segment's order delay after the entry queued or its last
		/// slice was paid, [`Exit::priced_at`]). The entry must be worth
		/// at least the silo's minimum deposit; shares left behind must be none or worth that
		/// much. Only what the outflow line holds back may queue: the entry must be worth more
		/// than the account may take out now, and an account has at most
		/// [`Config::MaxExitsPerAccount`] entries waiting. The runtime API shows the queue and
		/// each entry's place.
		///
		/// Origin: signed. Emits [`Event::ExitQueued`], then [`Event::ExitPricedAt`] for shares.
		/// Errors: [`Error::UnknownSilo`],
		/// [`Error::ZeroAmount`], [`Error::InsufficientFreeMargin`],
		/// [`Error::InsufficientShares`], [`Error::ExitBelowMinimum`],
		/// [`Error::ExitNotNeeded`], [`Error::RemainderBelowMinimum`],
		/// [`Error::ExitQueueFull`], [`Error::TooManyExits`], and the segment's
		/// `PriceUnavailable`, `StalePrice` or `PriceRejected` (shares are valued to check the
		/// minimum).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::queue_exit())]
		pub fn queue_exit(
			origin: OriginFor<T>,
			silo: SiloId,
			request: ExitRequest,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_queue_exit(silo, &who, request)
		}

		/// Take back queued exit `index`: what it still waits for returns to the account. A
		/// share exit cannot be taken back while its next slice may be paid at its price, from
		/// its `fills_from` until a price published by its `expires_at` can pay it no more (a
		/// window after; [`Exit::priced_at`]), as an LP order cannot once its delay is over.
		///
		/// Origin: signed, the exit's owner. Emits [`Event::ExitCancelled`].
		/// Errors: [`Error::UnknownExit`], [`Error::NotExitOwner`], [`Error::ExitPriced`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::cancel_exit())]
		pub fn cancel_exit(origin: OriginFor<T>, silo: SiloId, index: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_exit(silo, &who, index)
		}

		/// Pay what the outflow window allows of the silo's queued exits, oldest first, looking
		/// at up to `max` entries (capped at [`Config::MaxQueuedExits`]; the holes cancelled and
		/// paid entries left are passed over and do not count). Each entry is paid
		/// what its owner may take now (its principal, then its share of the line); share
		/// exits also wait for a normal segment, a market that is not settling, the pool's
		/// withdrawal rules, and their price ([`Exit::priced_at`]): a slice is paid at that price,
		/// fixed before anyone could see it, once it is out and until its window ends (as an LP
		/// order fills; a keeper that passes as soon as it is out leaves nobody the choice of
		/// when within the window). An entry whose window passed, or whose price cannot value
		/// the pool (the segment's error: rejected, missing, or older than a position moved
		/// since), is priced anew from now. An entry that cannot be paid now
		/// keeps its place. Anyone may call it; the unused weight is refunded.
		///
		/// Origin: signed. Emits [`Event::ExitPaid`] per slice, [`Event::ExitPricedAt`] for
		/// each share exit priced anew (after a slice too), then [`Event::ExitsProcessed`].
		/// Errors: [`Error::UnknownSilo`].
		#[pallet::call_index(9)]
		#[pallet::weight(Pallet::<T>::process_weight(
			Pallet::<T>::bounded(*max),
			T::MaxQueuedExits::get().saturating_mul(2),
		))]
		pub fn process_exits(
			origin: OriginFor<T>,
			silo: SiloId,
			max: u32,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let (visited, holes) = Self::do_process_exits(silo, Self::bounded(max))?;
			Ok(Some(Self::process_weight(visited, holes)).into())
		}

		/// Ask to deposit into the silo's LP pool, or to withdraw from it
		/// ([`LpOrderKind`]). A deposit or withdrawal at the pool's value now could be made by
		/// anyone who saw the next price in the transaction pool (deposit before a price that
		/// makes traders lose, withdraw after), at the other LPs' expense; so it is an order,
		/// priced at the first price the segment's oracle publishes after the segment's order
		/// delay, as a trade's order fills (see [`PoolRisk::exposure_for_order`]).
		///
		/// Escrows in the silo what the order moves, a deposit's `amount` from the caller's
		/// wallet or a withdrawal's shares, and `execution_fee` (at least the segment's keeper
		/// deposit) from the wallet, paid to whoever executes it
		/// ([`Pallet::execute_lp_order`]). A first stake must be at least the silo's minimum
		/// deposit. One order per account and silo, at most [`Config::MaxLpOrders`] per silo.
		///
		/// Origin: signed. Emits [`Event::LpOrderRequested`]. Errors: [`Error::UnknownSilo`],
		/// [`Error::ZeroAmount`], [`Error::ExecutionFeeTooLow`], [`Error::LpOrderPending`],
		/// [`Error::TooManyLpOrders`]; for a deposit [`Error::SiloFrozen`],
		/// [`Error::MarketEnded`], [`Error::DepositCapExceeded`],
		/// [`Error::DepositBelowMinimum`]; for a withdrawal [`Error::InsufficientShares`],
		/// [`Error::SegmentNotNormal`], [`Error::MarketSettling`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::request_lp_order())]
		pub fn request_lp_order(
			origin: OriginFor<T>,
			silo: SiloId,
			kind: LpOrderKind,
			execution_fee: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_lp_order(silo, &who, kind, execution_fee)
		}

		/// Take back the caller's LP order while its delay runs: everything it escrowed
		/// returns (a deposit's amount and the fee to free margin in the silo, which
		/// [`Pallet::withdraw_margin`] takes out; shares to the account).
		///
		/// Origin: signed, the order's owner. Emits [`Event::LpOrderEnded`].
		/// Errors: [`Error::UnknownSilo`], [`Error::NoLpOrder`], [`Error::LpOrderCommitted`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::cancel_lp_order())]
		pub fn cancel_lp_order(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_lp_order(silo, &who)
		}

		/// Execute `who`'s LP order once its price is out, and earn its fee (as free margin in
		/// the silo). It fills at that one price whoever executes it, and whenever: a deposit
		/// gets shares priced at the pool's value marked at it (the PnL factor for deposits
		/// applies), a withdrawal is paid its shares' part of it, under the pool's withdrawal
		/// rules (PnL factor, reserve, the remainder's minimum) and the segment's outflow line
		/// (past the line, the shares join the exit queue). An order that fails at its price
		/// ends with its escrow returned and its fee paid to the LPs, as does one whose price
		/// came after its window or that was executed too long after it: whether it fills
		/// must not be its owner's choice once its price is out. In a market that settles (or,
		/// for a deposit, was delisted, or into a silo frozen since) the order ends with
		/// everything returned.
		///
		/// Origin: signed (anyone). Emits [`Event::LpOrderExecuted`] and the deposit's or
		/// withdrawal's event, or [`Event::LpOrderEnded`]. Errors: [`Error::UnknownSilo`],
		/// [`Error::NoLpOrder`], [`Error::LpOrderNotReady`] (also while the breaker rejects
		/// the latest price), [`Error::SegmentNotNormal`] (a withdrawal, while the segment is
		/// severed or recovering): the order waits.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::execute_lp_order())]
		pub fn execute_lp_order(
			origin: OriginFor<T>,
			silo: SiloId,
			who: T::AccountId,
		) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_execute_lp_order(silo, &who, &executor)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The account that holds silo `silo`'s funds.
		pub fn account_id(silo: SiloId) -> T::AccountId {
			T::PalletId::get().into_sub_account_truncating(silo)
		}

		/// The silo bound to `segment`.
		fn bound_silo(segment: SegmentId) -> Result<SiloId, Error<T>> {
			SiloOfSegment::<T>::get(segment).ok_or(Error::<T>::NoSiloForSegment)
		}

		fn silo(silo: SiloId) -> Result<SiloInfo<AssetIdOf<T>>, DispatchError> {
			Silos::<T>::get(silo).ok_or_else(|| Error::<T>::UnknownSilo.into())
		}

		pub(crate) fn do_create_silo(
			silo: SiloId,
			segment: SegmentId,
			asset: AssetIdOf<T>,
			deposit_cap: Balance,
			min_deposit: Balance,
		) -> DispatchResult {
			ensure!(min_deposit > 0, Error::<T>::InvalidMinDeposit);
			ensure!(!Silos::<T>::contains_key(silo), Error::<T>::SiloExists);
			ensure!(!SiloOfSegment::<T>::contains_key(segment), Error::<T>::SegmentHasSilo);
			ensure!(T::Assets::asset_exists(asset.clone()), Error::<T>::UnknownAsset);
			ensure!(
				T::Assets::decimals(asset.clone()) <= MAX_ASSET_DECIMALS,
				Error::<T>::AssetDecimalsTooHigh
			);
			Silos::<T>::insert(
				silo,
				SiloInfo {
					asset: asset.clone(),
					segment,
					status: SiloStatus::Active,
					deposit_cap,
					min_deposit,
					books: Books::default(),
					bad_debt: 0,
					fees_to_lps: 0,
					fees_to_insurance: 0,
				},
			);
			SiloOfSegment::<T>::insert(segment, silo);
			let account = Self::account_id(silo);
			Self::deposit_event(Event::SiloCreated { silo, segment, asset, account });
			Ok(())
		}

		pub(crate) fn do_set_silo_params(
			silo: SiloId,
			deposit_cap: Balance,
			min_deposit: Balance,
			status: SiloStatus,
		) -> DispatchResult {
			ensure!(min_deposit > 0, Error::<T>::InvalidMinDeposit);
			Silos::<T>::try_mutate(silo, |info| {
				let info = info.as_mut().ok_or(Error::<T>::UnknownSilo)?;
				info.deposit_cap = deposit_cap;
				info.min_deposit = min_deposit;
				info.status = status;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::SiloParamsSet { silo, deposit_cap, min_deposit, status });
			Ok(())
		}

		/// What silo `silo` (described by `info`) holds in its account: its value, which the
		/// deposit cap, the breaker's outflow line and the views measure. (Tokens sent to it
		/// directly count too; nobody can claim them.)
		pub fn value(silo: SiloId, info: &SiloInfo<AssetIdOf<T>>) -> Balance {
			T::Assets::balance(info.asset.clone(), &Self::account_id(silo))
		}

		/// Checks shared by every deposit that counts against the cap; the silo's value before
		/// it.
		fn ensure_can_take_deposit(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			amount: Balance,
		) -> Result<Balance, DispatchError> {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			ensure!(info.status == SiloStatus::Active, Error::<T>::SiloFrozen);
			ensure!(T::Pool::market(info.segment).is_live(), Error::<T>::MarketEnded);
			let value = Self::value(silo, info);
			let after = value.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			ensure!(after <= info.deposit_cap, Error::<T>::DepositCapExceeded);
			Ok(value)
		}

		/// Move `amount` from `who`, who held `held` in the silo before
		/// ([`Pallet::holdings`]), into the silo account, worth `value` before, and tell the
		/// breaker: it is `who`'s principal from now on, in `account`'s flow (the caller writes
		/// `account`).
		fn pull(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			account: &mut SiloAccount<BlockNumberFor<T>>,
			amount: Balance,
			held: Balance,
			value: Balance,
		) -> DispatchResult {
			Self::take_in(silo, info, who, amount)?;
			T::Monitor::note_inflow(info.segment, who, &mut account.flow, amount, held, value);
			Ok(())
		}

		/// What `who` holds in silo `silo` (described by `info`): its margin, its pool shares
		/// (held, queued and escrowed for an LP order) at the pool's marked value for deposits (`pool_value`, valued here
		/// when not given) or at book value when that is higher, and the margin waiting for it
		/// in the exit queue. Principal never stays above it when more comes in: what an account
		/// lost to the pool, or to traders, is no longer its principal. Shares that cannot be
		/// marked (no fresh price) count at book value.
		pub fn holdings(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			pool_value: Option<Balance>,
		) -> Balance {
			let queued = QueuedBy::<T>::get(silo, who);
			let account = Accounts::<T>::get(silo, who);
			let ordered = LpOrders::<T>::get(silo, who).map_or(0, |order| order.escrowed_shares());
			let shares = account.shares.saturating_add(queued.shares).saturating_add(ordered);
			let books = &info.books;
			let marked = match pool_value {
				Some(value) => value,
				// Shares that cannot be marked now (no fresh price) count at book value.
				None if shares > 0 => T::Pool::exposure(info.segment)
					.map_or(0, |e| e.pool_value(books.lp_liquidity, e.factors.max_pnl_deposits)),
				None => 0,
			};
			let value = marked.max(books.lp_liquidity);
			let book = books.amount_for(shares, value).unwrap_or(Balance::MAX);
			account
				.margin
				.total()
				.unwrap_or(Balance::MAX)
				.saturating_add(queued.margin)
				.saturating_add(book)
		}

		/// Move `amount` from `who` into the silo account.
		fn take_in(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			T::Assets::transfer(
				info.asset.clone(),
				who,
				&Self::account_id(silo),
				amount,
				Preservation::Preserve,
			)?;
			Ok(())
		}

		/// Ask the breaker whether `who` may take `amount` out of the silo (worth `value`):
		/// recorded if admitted; refused past the account's share or while the segment's line
		/// is closed; `false` (do not pay, queue it: the breaker severed the segment in this
		/// call) when it would cross the line.
		fn admit_outflow(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			amount: Balance,
			value: Balance,
		) -> Result<bool, DispatchError> {
			let mut account = Accounts::<T>::get(silo, who);
			let verdict =
				T::Monitor::note_outflow(info.segment, who, &mut account.flow, amount, value);
			if verdict == OutflowVerdict::Admitted {
				Self::store_account(silo, who, account);
			}
			match verdict {
				OutflowVerdict::Admitted => Ok(true),
				OutflowVerdict::OverAccountShare => Err(Error::<T>::AccountOutflowLimit.into()),
				OutflowVerdict::Tripped => Ok(false),
				OutflowVerdict::LineClosed => Err(Error::<T>::SegmentOutflowLimit.into()),
			}
		}

		/// Move `amount` out of the silo account to `dest`. The silo account either keeps the
		/// asset's minimum balance or empties completely, so the asset never reaps it with dust
		/// the books still count. The breaker must have admitted the outflow.
		fn push(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			dest: &T::AccountId,
			amount: Balance,
			value_before: Balance,
		) -> DispatchResult {
			let remaining = value_before.checked_sub(amount).ok_or(ArithmeticError::Underflow)?;
			let minimum = T::Assets::minimum_balance(info.asset.clone());
			ensure!(remaining == 0 || remaining >= minimum, Error::<T>::SiloBelowMinimum);
			let preservation =
				if remaining == 0 { Preservation::Expendable } else { Preservation::Preserve };
			T::Assets::transfer(
				info.asset.clone(),
				&Self::account_id(silo),
				dest,
				amount,
				preservation,
			)?;
			Ok(())
		}

		/// Provide liquidity at once, at the pool's value now: for genesis, and for setting up
		/// benchmarks. Not a call: a deposit at a known price could be front-run (see
		/// [`Pallet::request_lp_order`]). Writes before its last fallible step: call it inside
		/// a storage layer.
		pub fn do_provide_liquidity(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			let info = Self::silo(silo)?;
			let value = Self::ensure_can_take_deposit(silo, &info, amount)?;
			// Only a first stake must bring the minimum; a top-up creates nothing.
			let mut account = Accounts::<T>::get(silo, who);
			ensure!(
				account.shares > 0 || amount >= info.min_deposit,
				Error::<T>::DepositBelowMinimum
			);
			let exposure = T::Pool::exposure(info.segment)?;
			let marked =
				exposure.pool_value(info.books.lp_liquidity, exposure.factors.max_pnl_deposits);
			let holdings = Self::holdings(silo, &info, who, Some(marked));
			Self::pull(silo, &info, who, &mut account, amount, holdings, value)?;
			Self::provide_at(silo, info, who, account, amount, &exposure)
		}

		/// `amount`, already in the silo account, into the pool of silo `silo` (described by
		/// `info`) for `who` (whose entry is `account`, not yet written): shares priced at the
		/// pool's value marked at `exposure`, rounded down. Writes the account and the silo,
		/// and emits [`Event::LiquidityProvided`].
		fn provide_at(
			silo: SiloId,
			mut info: SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			mut account: SiloAccount<BlockNumberFor<T>>,
			amount: Balance,
			exposure: &PoolExposure,
		) -> DispatchResult {
			let factor = exposure.factors.max_pnl_deposits;
			// Above the cap, a deposit raises what the traders' profit counts for: it would pay
			// them, not buy a share of the pool.
			ensure!(
				!exposure.profit_above(info.books.lp_liquidity, factor),
				Error::<T>::PnlTooHighToDeposit
			);
			let pool_value = exposure.pool_value(info.books.lp_liquidity, factor);
			let shares =
				info.books.shares_for(amount, pool_value).ok_or(Error::<T>::PoolDepleted)?;
			ensure!(shares > 0, Error::<T>::DepositTooSmall);
			let books = &mut info.books;
			books.lp_liquidity =
				books.lp_liquidity.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			books.lp_shares =
				books.lp_shares.checked_add(shares).ok_or(ArithmeticError::Overflow)?;
			account.shares = account.shares.checked_add(shares).ok_or(ArithmeticError::Overflow)?;
			Self::store_account(silo, who, account);
			Silos::<T>::insert(silo, info);
			Self::deposit_event(Event::LiquidityProvided {
				silo,
				who: who.clone(),
				amount,
				shares,
				pool_value,
			});
			Ok(())
		}

		/// Pay `who` for `shares` of the pool of silo `silo` (described by `info`), already
		/// taken out of its account, which holds `left`, at the pool's value marked at
		/// `exposure`, under the pool's withdrawal rules; past the segment's outflow line the
		/// shares join the exit queue instead, the pool unchanged. The caller has checked that
		/// LPs may leave. Writes before its last fallible step: call it inside a storage layer.
		fn redeem(
			silo: SiloId,
			mut info: SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			shares: Balance,
			left: Balance,
			exposure: &PoolExposure,
		) -> DispatchResult {
			let value_before = Self::value(silo, &info);
			let (pool_value, amount) = Self::burn(&mut info.books, exposure, shares)?;
			if left > 0 {
				let stake = mul_div_floor(left, pool_value - amount, info.books.lp_shares)
					.ok_or(ArithmeticError::Overflow)?;
				ensure!(stake >= info.min_deposit, Error::<T>::RemainderBelowMinimum);
			}
			if amount > 0 && !Self::admit_outflow(silo, &info, who, amount, value_before)? {
				// Past the segment's line: the shares wait in the queue, the pool unchanged.
				return Self::enqueue(silo, info.segment, who, ExitRequest::Liquidity(shares));
			}
			if amount > 0 {
				Self::push(silo, &info, who, amount, value_before)?;
			}
			Silos::<T>::insert(silo, info);
			Self::deposit_event(Event::LiquidityWithdrawn {
				silo,
				who: who.clone(),
				amount,
				shares,
				pool_value,
			});
			Ok(())
		}

		/// LPs leave while the segment is normal: a severed or recovering one may still owe
		/// them losses. Once its market is delisted no position is left to owe anything, and a
		/// breaker that tripped on the way (bad debt at settlement, say) no longer holds them.
		/// Not while it settles: its pool is priced once it is delisted.
		fn ensure_lps_may_leave(segment: SegmentId) -> DispatchResult {
			let market = T::Pool::market(segment);
			ensure!(
				T::Health::status(segment).allows_new_risk()
					|| matches!(market, MarketStatus::Delisted { .. }),
				Error::<T>::SegmentNotNormal
			);
			ensure!(!matches!(market, MarketStatus::Settling { .. }), Error::<T>::MarketSettling);
			Ok(())
		}

		/// `who` holds `shares` of the silo's pool.
		fn set_shares(silo: SiloId, who: &T::AccountId, shares: Balance) {
			let mut account = Accounts::<T>::get(silo, who);
			account.shares = shares;
			Self::store_account(silo, who, account);
		}

		/// Burn `shares` from `books` at the pool's value for withdrawals: the pool's value and
		/// what the shares pay. Refused unless the pool's rules allow it: the pending profit
		/// under the withdrawal factor before and after, and the reserve within its cap of
		/// what is left.
		fn burn(
			books: &mut Books,
			exposure: &PoolExposure,
			shares: Balance,
		) -> Result<(Balance, Balance), DispatchError> {
			let (pool_value, amount) = Self::price_withdrawal(books, exposure, shares)?;
			books.lp_liquidity =
				books.lp_liquidity.checked_sub(amount).ok_or(Error::<T>::PoolLiquidityShort)?;
			books.lp_shares =
				books.lp_shares.checked_sub(shares).ok_or(ArithmeticError::Underflow)?;
			ensure!(
				exposure.reserved <= exposure.reserve_cap(books.lp_liquidity, pool_value - amount),
				Error::<T>::ReserveExceeded
			);
			// The LPs who stay must not be left above the withdrawal factor either: the first
			// out would lock the rest in.
			ensure!(
				!exposure.profit_above(books.lp_liquidity, exposure.factors.max_pnl_withdrawals),
				Error::<T>::PnlTooHighToWithdraw
			);
			Ok((pool_value, amount))
		}

		/// The pool's value as withdrawals are priced, and what burning `shares` of it pays:
		/// refused while a side's pending profit is above the withdrawal PnL factor (the cap
		/// then never binds on what a withdrawal is paid).
		fn price_withdrawal(
			books: &Books,
			exposure: &PoolExposure,
			shares: Balance,
		) -> Result<(Balance, Balance), DispatchError> {
			let factor = exposure.factors.max_pnl_withdrawals;
			ensure!(
				!exposure.profit_above(books.lp_liquidity, factor),
				Error::<T>::PnlTooHighToWithdraw
			);
			let value = exposure.pool_value(books.lp_liquidity, factor);
			let amount = books.amount_for(shares, value).ok_or(ArithmeticError::Overflow)?;
			Ok((value, amount))
		}

		/// The chain's time in milliseconds.
		fn now_ms() -> segment_interface::Moment {
			use frame_support::traits::UnixTime;
			use sp_runtime::SaturatedConversion;
			T::Time::now().as_millis().saturated_into()
		}

		/// Request an LP order (see [`Pallet::request_lp_order`]).
		pub(crate) fn do_request_lp_order(
			silo: SiloId,
			who: &T::AccountId,
			kind: LpOrderKind,
			execution_fee: Balance,
		) -> DispatchResult {
			let info = Self::silo(silo)?;
			ensure!(!LpOrders::<T>::contains_key(silo, who), Error::<T>::LpOrderPending);
			let count = LpOrderCount::<T>::get(silo);
			ensure!(count < T::MaxLpOrders::get(), Error::<T>::TooManyLpOrders);
			let terms = T::Pool::lp_order_terms(info.segment);
			ensure!(execution_fee >= terms.min_fee, Error::<T>::ExecutionFeeTooLow);
			let order = LpOrder { kind, execution_fee, timing: terms.timing };
			let mut account = Accounts::<T>::get(silo, who);
			let escrow = order.escrowed_margin().ok_or(ArithmeticError::Overflow)?;
			let value = match kind {
				LpOrderKind::Provide(amount) => {
					ensure!(amount > 0, Error::<T>::ZeroAmount);
					ensure!(
						account.shares > 0 || amount >= info.min_deposit,
						Error::<T>::DepositBelowMinimum
					);
					Self::ensure_can_take_deposit(silo, &info, escrow)?
				},
				LpOrderKind::Withdraw(shares) => {
					ensure!(shares > 0, Error::<T>::ZeroAmount);
					ensure!(account.shares >= shares, Error::<T>::InsufficientShares);
					// Refused now rather than at its price: the breaker holds LPs in, and a
					// settling market's pool is priced once it is delisted.
					Self::ensure_lps_may_leave(info.segment)?;
					account.shares -= shares;
					Self::value(silo, &info)
				},
			};
			if escrow > 0 {
				let holdings = Self::holdings(silo, &info, who, None);
				account.margin.escrowed =
					account.margin.escrowed.checked_add(escrow).ok_or(ArithmeticError::Overflow)?;
				Self::pull(silo, &info, who, &mut account, escrow, holdings, value)?;
			}
			Self::store_account(silo, who, account);
			LpOrders::<T>::insert(silo, who, order);
			LpOrderCount::<T>::insert(silo, count + 1);
			Self::deposit_event(Event::LpOrderRequested { silo, who: who.clone(), order });
			Ok(())
		}

		/// Cancel an LP order (see [`Pallet::cancel_lp_order`]).
		pub(crate) fn do_cancel_lp_order(silo: SiloId, who: &T::AccountId) -> DispatchResult {
			let order = LpOrders::<T>::get(silo, who).ok_or(Error::<T>::NoLpOrder)?;
			ensure!(Self::now_ms() < order.timing.fills_from, Error::<T>::LpOrderCommitted);
			Self::end_lp_order(silo, who, &order, None, LpOrderEnd::Cancelled)
		}

		/// Execute an LP order (see [`Pallet::execute_lp_order`]).
		pub(crate) fn do_execute_lp_order(
			silo: SiloId,
			who: &T::AccountId,
			executor: &T::AccountId,
		) -> DispatchResult {
			let order = LpOrders::<T>::get(silo, who).ok_or(Error::<T>::NoLpOrder)?;
			let info = Self::silo(silo)?;
			let end = |reason| Self::end_lp_order(silo, who, &order, Some(executor), reason);
			match (T::Pool::market(info.segment), order.kind) {
				// The admin froze the silo since: it takes no new liquidity.
				(MarketStatus::Live, LpOrderKind::Provide(_))
					if info.status != SiloStatus::Active =>
				{
					return end(LpOrderEnd::SiloFrozen)
				},
				(MarketStatus::Live, _)
				| (MarketStatus::Delisted { .. }, LpOrderKind::Withdraw(_)) => {},
				// No price values the pool while its market settles, and a delisted one takes
				// nothing new: through no doing of its owner's.
				_ => return end(LpOrderEnd::MarketEnded),
			}
			// A withdrawal waits while the breaker holds LPs in (its price is fixed: waiting
			// chooses nothing), until its window is over.
			if matches!(order.kind, LpOrderKind::Withdraw(_)) {
				Self::ensure_lps_may_leave(info.segment)?;
			}
			let exposure = match T::Pool::exposure_for_order(info.segment, &order.timing) {
				Ok(OrderPricing::NotReady) => return Err(Error::<T>::LpOrderNotReady.into()),
				Ok(OrderPricing::Expired) => return end(LpOrderEnd::Expired),
				Err(error) => return end(LpOrderEnd::Failed(error)),
				Ok(OrderPricing::Priced(exposure)) => exposure,
			};
			// An order that fails at its price changes nothing but the order.
			let filled = frame_support::storage::with_storage_layer(|| {
				Self::deposit_event(Event::LpOrderExecuted {
					silo,
					who: who.clone(),
					executor: executor.clone(),
				});
				Self::fill_lp_order(silo, info, who, executor, &order, &exposure)
			});
			match filled {
				Ok(()) => Ok(()),
				Err(error) => end(LpOrderEnd::Failed(error)),
			}
		}

		/// `order`'s deposit or withdrawal at `exposure`, its fee to `executor` (as free
		/// margin in the silo, as a trade's executor is paid), the order gone.
		fn fill_lp_order(
			silo: SiloId,
			info: SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			executor: &T::AccountId,
			order: &LpOrder,
			exposure: &PoolExposure,
		) -> DispatchResult {
			Self::remove_lp_order(silo, who);
			// The escrow leaves the owner's account first: the deposit into the pool, the fee
			// to the executor.
			let mut account = Accounts::<T>::get(silo, who);
			let escrow = order.escrowed_margin().ok_or(ArithmeticError::Overflow)?;
			account.margin.escrowed = account
				.margin
				.escrowed
				.checked_sub(escrow)
				.ok_or(Error::<T>::InsufficientEscrow)?;
			match order.kind {
				LpOrderKind::Provide(amount) => {
					Self::provide_at(silo, info, who, account, amount, exposure)?
				},
				LpOrderKind::Withdraw(shares) => {
					let left = account.shares;
					Self::store_account(silo, who, account);
					Self::redeem(silo, info, who, shares, left, exposure)?;
				},
			}
			Self::credit_free(silo, executor, order.execution_fee)
		}

		/// End `order` unfilled for `reason`: its escrow back to `who` (margin to free margin,
		/// shares to the account), its fee to the LPs once its price could be known (it
		/// expired or failed) and back to `who` otherwise.
		fn end_lp_order(
			silo: SiloId,
			who: &T::AccountId,
			order: &LpOrder,
			executor: Option<&T::AccountId>,
			reason: LpOrderEnd,
		) -> DispatchResult {
			let to_lps = match reason {
				LpOrderEnd::Expired | LpOrderEnd::Failed(_) => order.execution_fee,
				LpOrderEnd::Cancelled | LpOrderEnd::MarketEnded | LpOrderEnd::SiloFrozen => 0,
			};
			let mut account = Accounts::<T>::get(silo, who);
			let escrow = order.escrowed_margin().ok_or(ArithmeticError::Overflow)?;
			let margin = &mut account.margin;
			margin.escrowed =
				margin.escrowed.checked_sub(escrow).ok_or(Error::<T>::InsufficientEscrow)?;
			margin.free =
				margin.free.checked_add(escrow - to_lps).ok_or(ArithmeticError::Overflow)?;
			account.shares = account
				.shares
				.checked_add(order.escrowed_shares())
				.ok_or(ArithmeticError::Overflow)?;
			Self::store_account(silo, who, account);
			if to_lps > 0 {
				Silos::<T>::try_mutate(silo, |info| {
					let info = info.as_mut().ok_or(Error::<T>::UnknownSilo)?;
					Self::collect_fee(info, Fee { to_lps, to_insurance: 0 })
				})?;
			}
			Self::remove_lp_order(silo, who);
			Self::deposit_event(Event::LpOrderEnded {
				silo,
				who: who.clone(),
				executor: executor.cloned(),
				reason,
			});
			Ok(())
		}

		/// `who`'s LP order in `silo` is gone (and the silo's count with its last order).
		fn remove_lp_order(silo: SiloId, who: &T::AccountId) {
			LpOrders::<T>::remove(silo, who);
			match LpOrderCount::<T>::get(silo).saturating_sub(1) {
				0 => LpOrderCount::<T>::remove(silo),
				count => LpOrderCount::<T>::insert(silo, count),
			}
		}

		pub(crate) fn do_deposit_margin(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			let info = Self::silo(silo)?;
			let value = Self::ensure_can_take_deposit(silo, &info, amount)?;
			let holdings = Self::holdings(silo, &info, who, None);
			let mut account = Self::credited(silo, who, amount, info.min_deposit)?;
			Self::pull(silo, &info, who, &mut account, amount, holdings, value)?;
			Self::store_account(silo, who, account);
			Self::deposit_event(Event::MarginDeposited { silo, who: who.clone(), amount });
			Ok(())
		}

		pub(crate) fn do_withdraw_margin(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let info = Self::silo(silo)?;
			let value_before = Self::value(silo, &info);
			Self::take_free(silo, &info, who, amount, None)?;
			if !Self::admit_outflow(silo, &info, who, amount, value_before)? {
				// Past the segment's line: the margin waits in the queue.
				return Self::enqueue(silo, info.segment, who, ExitRequest::Margin(amount));
			}
			Self::push(silo, &info, who, amount, value_before)?;
			Self::deposit_event(Event::MarginWithdrawn { silo, who: who.clone(), amount });
			Ok(())
		}

		/// Queue an exit (see [`Pallet::queue_exit`]).
		pub(crate) fn do_queue_exit(
			silo: SiloId,
			who: &T::AccountId,
			request: ExitRequest,
		) -> DispatchResult {
			let info = Self::silo(silo)?;
			let account = Accounts::<T>::get(silo, who);
			let room = T::Monitor::outflow_room(
				info.segment,
				who,
				&account.flow,
				Self::value(silo, &info),
			);
			match request {
				ExitRequest::Margin(amount) => {
					ensure!(amount > 0, Error::<T>::ZeroAmount);
					ensure!(amount >= info.min_deposit, Error::<T>::ExitBelowMinimum);
					ensure!(amount > room, Error::<T>::ExitNotNeeded);
					Self::take_free(silo, &info, who, amount, None)?;
				},
				ExitRequest::Liquidity(shares) => {
					ensure!(shares > 0, Error::<T>::ZeroAmount);
					let held = account.shares;
					ensure!(held >= shares, Error::<T>::InsufficientShares);
					let exposure = T::Pool::exposure(info.segment)?;
					let value = exposure
						.pool_value(info.books.lp_liquidity, exposure.factors.max_pnl_withdrawals);
					let worth = |shares| {
						info.books.amount_for(shares, value).ok_or(ArithmeticError::Overflow)
					};
					let all = worth(shares)?;
					ensure!(all >= info.min_deposit, Error::<T>::ExitBelowMinimum);
					ensure!(all > room, Error::<T>::ExitNotNeeded);
					let left = held - shares;
					ensure!(
						left == 0 || worth(left)? >= info.min_deposit,
						Error::<T>::RemainderBelowMinimum
					);
					Self::set_shares(silo, who, left);
				},
			}
			Self::enqueue(silo, info.segment, who, request)
		}

		/// Put `request` (already taken out of `who`'s account) at the back of the queue of
		/// `segment`'s silo `silo`; shares are priced as an LP order made now.
		pub(crate) fn enqueue(
			silo: SiloId,
			segment: SegmentId,
			who: &T::AccountId,
			request: ExitRequest,
		) -> DispatchResult {
			let mut queue = ExitQueues::<T>::get(silo);
			let max = T::MaxQueuedExits::get();
			ensure!(queue.live < max, Error::<T>::ExitQueueFull);
			ensure!(queue.tail - queue.head < max.saturating_mul(2), Error::<T>::ExitQueueFull);
			let mine = QueuedBy::<T>::get(silo, who);
			ensure!(mine.entries < T::MaxExitsPerAccount::get(), Error::<T>::TooManyExits);
			let mine = mine.with(request).ok_or(ArithmeticError::Overflow)?;
			let index = queue.tail;
			queue.tail = queue.tail.checked_add(1).ok_or(Error::<T>::ExitQueueFull)?;
			queue.live += 1;
			ExitQueues::<T>::insert(silo, queue);
			QueuedBy::<T>::insert(silo, who, mine);
			Self::deposit_event(Event::ExitQueued { silo, index, who: who.clone(), request });
			Self::store_exit(
				silo,
				segment,
				index,
				Exit { who: who.clone(), request, priced_at: None },
			);
			Ok(())
		}

		/// `exit` waits at `index` in the queue of `segment`'s silo: shares for the first price
		/// an LP order made now would fill at (their next slice is priced after this moment),
		/// margin as it is.
		fn store_exit(silo: SiloId, segment: SegmentId, index: u32, exit: Exit<T::AccountId>) {
			match exit.request {
				ExitRequest::Margin(_) => Exits::<T>::insert(silo, index, exit),
				ExitRequest::Liquidity(_) => Self::price_exit_anew(silo, segment, index, exit),
			}
		}

		/// `exit`, at `index` in the queue of `segment`'s silo, waits for the first price an LP
		/// order made now would fill at.
		fn price_exit_anew(silo: SiloId, segment: SegmentId, index: u32, exit: Exit<T::AccountId>) {
			let timing = T::Pool::lp_order_terms(segment).timing;
			Exits::<T>::insert(silo, index, Exit { priced_at: Some(timing), ..exit });
			Self::deposit_event(Event::ExitPricedAt { silo, index, timing });
		}

		/// Cancel a queued exit (see [`Pallet::cancel_exit`]).
		pub(crate) fn do_cancel_exit(
			silo: SiloId,
			who: &T::AccountId,
			index: u32,
		) -> DispatchResult {
			let exit = Exits::<T>::get(silo, index)
				.filter(|exit| !exit.is_cancelled())
				.ok_or(Error::<T>::UnknownExit)?;
			ensure!(exit.who == *who, Error::<T>::NotExitOwner);
			if let (ExitRequest::Liquidity(_), Some(timing)) = (exit.request, exit.priced_at) {
				let now = Self::now_ms();
				// A price published by `expires_at` pays it for up to a window after.
				let window = timing.expires_at.saturating_sub(timing.fills_from);
				let priceable_until = timing.expires_at.saturating_add(window);
				ensure!(now < timing.fills_from || now > priceable_until, Error::<T>::ExitPriced);
			}
			match exit.request {
				ExitRequest::Margin(amount) => Self::credit_free(silo, who, amount)?,
				ExitRequest::Liquidity(shares) => {
					let mut account = Accounts::<T>::get(silo, who);
					account.shares =
						account.shares.checked_add(shares).ok_or(ArithmeticError::Overflow)?;
					Self::store_account(silo, who, account);
				},
			}
			// The place stays taken, empty, until the head of the queue passes it: the owner's
			// count keeps it, so queueing and cancelling cannot leave holes without bound.
			let cancelled = exit.request.with_remaining(0);
			Exits::<T>::insert(silo, index, Exit { request: cancelled, priced_at: None, ..exit });
			ExitQueues::<T>::mutate(silo, |queue| queue.live = queue.live.saturating_sub(1));
			Self::unqueue(silo, who, exit.request, false);
			Self::deposit_event(Event::ExitCancelled {
				silo,
				index,
				who: who.clone(),
				request: exit.request,
			});
			Ok(())
		}

		/// `paid` of what `who` had waiting in the silo's queue has left it; `done`: its entry
		/// is gone.
		fn unqueue(silo: SiloId, who: &T::AccountId, paid: ExitRequest, done: bool) {
			let mut mine = QueuedBy::<T>::get(silo, who);
			mine.take(paid);
			if done {
				mine.entries = mine.entries.saturating_sub(1);
			}
			if mine.entries == 0 {
				QueuedBy::<T>::remove(silo, who);
			} else {
				QueuedBy::<T>::insert(silo, who, mine);
			}
		}

		/// `max`, capped at the queue's bound.
		pub(crate) fn bounded(max: u32) -> u32 {
			max.min(T::MaxQueuedExits::get())
		}

		/// The weight of [`Pallet::process_exits`] for `entries` live entries and `holes` holes
		/// and cancelled places passed over (a cancelled place at the head is removed: its
		/// entry and its owner's count read and written).
		pub(crate) fn process_weight(entries: u32, holes: u32) -> Weight {
			T::WeightInfo::process_exits(entries).saturating_add(
				T::DbWeight::get().reads_writes(2 * u64::from(holes), 2 * u64::from(holes)),
			)
		}

		/// Pay the silo's queued exits (see [`Pallet::process_exits`]); the live entries looked
		/// at, and the holes passed over (at most the queue's span, twice its bound).
		pub(crate) fn do_process_exits(
			silo: SiloId,
			max: u32,
		) -> Result<(u32, u32), DispatchError> {
			ensure!(Silos::<T>::contains_key(silo), Error::<T>::UnknownSilo);
			let mut queue = ExitQueues::<T>::get(silo);
			let (mut visited, mut holes) = (0, 0);
			let mut index = queue.head;
			let hole_budget = T::MaxQueuedExits::get().saturating_mul(2);
			while index < queue.tail && holes < hole_budget {
				let done = match Exits::<T>::get(silo, index) {
					None => {
						holes += 1;
						true
					},
					// A cancelled place goes when the head reaches it, and frees its owner's.
					Some(exit) if exit.is_cancelled() => {
						holes += 1;
						if index == queue.head {
							Exits::<T>::remove(silo, index);
							Self::unqueue(silo, &exit.who, exit.request, true);
						}
						index == queue.head
					},
					// A slice that cannot be paid now changes nothing: its place is kept.
					Some(exit) => {
						if visited == max {
							break;
						}
						visited += 1;
						let paid = frame_support::storage::with_storage_layer(|| {
							Self::pay_slice(silo, index, exit)
						})
						.unwrap_or(false);
						if paid {
							queue.live = queue.live.saturating_sub(1);
						}
						paid
					},
				};
				if done && index == queue.head {
					queue.head += 1;
				}
				index += 1;
			}
			let waiting = queue.live;
			ExitQueues::<T>::insert(silo, queue);
			Self::deposit_event(Event::ExitsProcessed { silo, visited, waiting });
			Ok((visited, holes))
		}

		/// Pay what the window allows of `exit`; whether it is paid in full. Fails, to be
		/// reverted, when nothing can be paid now. Shares are paid at their entry's price
		/// ([`Exit::priced_at`]), fixed before anyone could see it: once it is out and before
		/// its window ends; else they are priced anew (kept, with `Ok(false)`).
		fn pay_slice(
			silo: SiloId,
			index: u32,
			exit: Exit<T::AccountId>,
		) -> Result<bool, DispatchError> {
			let mut info = Self::silo(silo)?;
			let value = Self::value(silo, &info);
			let flow = Accounts::<T>::get(silo, &exit.who).flow;
			let room = T::Monitor::outflow_room(info.segment, &exit.who, &flow, value);
			let (amount, shares) = match exit.request {
				ExitRequest::Margin(amount) => (amount.min(room), 0),
				ExitRequest::Liquidity(shares) => {
					Self::ensure_lps_may_leave(info.segment)?;
					let pricing = exit.priced_at.map_or(Ok(OrderPricing::Expired), |timing| {
						T::Pool::exposure_for_order(info.segment, &timing)
					});
					let exposure = match pricing {
						Ok(OrderPricing::Priced(exposure)) => exposure,
						Ok(OrderPricing::NotReady) => {
							return Err(Error::<T>::LpOrderNotReady.into())
						},
						// Its price did not come, or came too late, or cannot pay it (the
						// segment's error: rejected, missing, or older than a position moved
						// since): the next price pays it.
						Ok(OrderPricing::Expired) | Err(DispatchError::Module(_)) => {
							Self::price_exit_anew(silo, info.segment, index, exit);
							return Ok(false);
						},
						// Anything else (arithmetic) is no verdict on the price: it waits.
						Err(error) => return Err(error),
					};
					let (pool_value, all) = Self::price_withdrawal(&info.books, &exposure, shares)?;
					// All of them if the room pays for them; else as many as it does, rounded
					// down.
					let fit = if all <= room {
						shares
					} else {
						info.books.shares_for(room, pool_value).unwrap_or(0).min(shares)
					};
					let (_, amount) = Self::burn(&mut info.books, &exposure, fit)?;
					(amount, fit)
				},
			};
			ensure!(amount > 0 || shares > 0, Error::<T>::AccountOutflowLimit);
			if amount > 0 {
				ensure!(
					Self::admit_outflow(silo, &info, &exit.who, amount, value)?,
					Error::<T>::SegmentOutflowLimit
				);
				Self::push(silo, &info, &exit.who, amount, value)?;
			}
			if shares > 0 {
				Silos::<T>::insert(silo, &info);
			}
			let paid = exit.request.with_remaining(if shares > 0 { shares } else { amount });
			let left = exit.request.with_remaining(exit.request.remaining() - paid.remaining());
			Self::unqueue(silo, &exit.who, paid, left.remaining() == 0);
			Self::deposit_event(Event::ExitPaid {
				silo,
				index,
				who: exit.who.clone(),
				amount,
				shares,
				left,
			});
			if left.remaining() == 0 {
				Exits::<T>::remove(silo, index);
			} else {
				Self::store_exit(silo, info.segment, index, Exit { request: left, ..exit });
			}
			Ok(left.remaining() == 0)
		}

		pub(crate) fn do_fund_insurance(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let mut info = Self::silo(silo)?;
			// A fund no position will ever draw on again would be stranded.
			ensure!(T::Pool::market(info.segment).is_live(), Error::<T>::MarketEnded);
			let value_before = Self::value(silo, &info);
			info.books.insurance =
				info.books.insurance.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			// The silo's total must still fit in a balance: refuse, never wrap.
			value_before.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			info.books.reserved()?;
			// A gift to the insurance fund is nobody's to take back: not principal, but value
			// the silo holds.
			Self::take_in(silo, &info, who, amount)?;
			T::Monitor::note_gift(info.segment, amount, value_before);
			Silos::<T>::insert(silo, info);
			Self::deposit_event(Event::InsuranceFunded { silo, who: who.clone(), amount });
			Ok(())
		}

		/// Change one trader's margin, removing the account's entry when it empties.
		fn mutate_margin(
			silo: SiloId,
			who: &T::AccountId,
			f: impl FnOnce(&mut MarginAccount) -> DispatchResult,
		) -> DispatchResult {
			let mut account = Accounts::<T>::get(silo, who);
			f(&mut account.margin)?;
			Self::store_account(silo, who, account);
			Ok(())
		}

		/// Write one account's entry, or remove it when it holds nothing and its flow has
		/// nothing to remember.
		fn store_account(
			silo: SiloId,
			who: &T::AccountId,
			account: SiloAccount<BlockNumberFor<T>>,
		) {
			if account.is_empty() {
				Accounts::<T>::remove(silo, who);
			} else {
				Accounts::<T>::insert(silo, who, account);
			}
		}

		/// `who`'s entry in `silo` with a deposit of `amount` credited to its free margin, not
		/// yet written. A deposit that opens the account must bring at least
		/// `minimum`; a top-up of an existing account creates nothing and may be any size, also
		/// when a loss or a raised minimum left the account under it (a trader saving a position
		/// must be able to add margin).
		fn credited(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
			minimum: Balance,
		) -> Result<SiloAccount<BlockNumberFor<T>>, DispatchError> {
			let mut account = Accounts::<T>::get(silo, who);
			let margin = &mut account.margin;
			ensure!(!margin.is_empty() || amount >= minimum, Error::<T>::DepositBelowMinimum);
			margin.free = margin.free.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			Ok(account)
		}

		/// Credit `amount` to `who`'s free margin.
		pub(crate) fn credit_free(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			if amount == 0 {
				return Ok(());
			}
			Self::mutate_margin(silo, who, |m| {
				m.free = m.free.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
				Ok(())
			})
		}

		/// Take `amount` out of one of `who`'s margin buckets.
		fn debit(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
			bucket: Bucket,
		) -> DispatchResult {
			Self::mutate_margin(silo, who, |m| {
				let held = bucket.of(m);
				*held = held.checked_sub(amount).ok_or(bucket.shortfall::<T>())?;
				Ok(())
			})
		}

		/// Take `amount` of `who`'s free margin in `silo` (described by `info`) out of the silo
		/// (`to` is `None`) or into another bucket, unless that leaves dust behind: free margin
		/// under the silo's minimum with no position behind the account. A withdrawal and a
		/// transfer's escrow take this path; a settlement, a liquidator's reward and a returned
		/// escrow do not (they follow a deposit that met the minimum, and must never fail on it).
		fn take_free(
			silo: SiloId,
			info: &SiloInfo<AssetIdOf<T>>,
			who: &T::AccountId,
			amount: Balance,
			to: Option<Bucket>,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			Self::mutate_margin(silo, who, |m| {
				m.free = m.free.checked_sub(amount).ok_or(Error::<T>::InsufficientFreeMargin)?;
				if let Some(bucket) = to {
					let held = bucket.of(m);
					*held = held.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
				}
				ensure!(!m.is_dust(info.min_deposit), Error::<T>::RemainderBelowMinimum);
				Ok(())
			})
		}

		/// Credit a position fee to the pool and the insurance fund of the silo `info`
		/// describes, and record it. The fee is margin already in the silo: nothing moves.
		fn collect_fee(info: &mut SiloInfo<AssetIdOf<T>>, fee: Fee) -> DispatchResult {
			let books = &mut info.books;
			books.lp_liquidity =
				books.lp_liquidity.checked_add(fee.to_lps).ok_or(ArithmeticError::Overflow)?;
			books.insurance =
				books.insurance.checked_add(fee.to_insurance).ok_or(ArithmeticError::Overflow)?;
			info.fees_to_lps = info.fees_to_lps.saturating_add(fee.to_lps);
			info.fees_to_insurance = info.fees_to_insurance.saturating_add(fee.to_insurance);
			Ok(())
		}

		/// Lock `amount` of `who`'s free margin in the silo bound to `segment` and pay `fee` out
		/// of it: the trader's account and, for a fee, the silo's books, each written once.
		fn do_lock_margin(
			segment: SegmentId,
			who: &T::AccountId,
			amount: Balance,
			fee: Fee,
		) -> DispatchResult {
			let silo = Self::bound_silo(segment)?;
			let charged = fee.total().ok_or(ArithmeticError::Overflow)?;
			ensure!(charged <= amount, Error::<T>::FeeExceedsMargin);
			if charged == 0 {
				return Self::shift_margin(silo, who, amount, Bucket::Free, Bucket::Locked);
			}
			let mut info = Self::silo(silo)?;
			Self::mutate_margin(silo, who, |m| {
				m.free = m.free.checked_sub(amount).ok_or(Error::<T>::InsufficientFreeMargin)?;
				m.locked =
					m.locked.checked_add(amount - charged).ok_or(ArithmeticError::Overflow)?;
				Ok(())
			})?;
			Self::collect_fee(&mut info, fee)?;
			Silos::<T>::insert(silo, info);
			Ok(())
		}

		/// Move `amount` between two of `who`'s margin buckets in `silo`.
		fn shift_margin(
			silo: SiloId,
			who: &T::AccountId,
			amount: Balance,
			from: Bucket,
			to: Bucket,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			// The margin stays in the silo: only the trader's account changes. The silo must
			// exist (segments reach theirs through `SiloOfSegment`; the gateway names one).
			ensure!(Silos::<T>::contains_key(silo), Error::<T>::UnknownSilo);
			Self::mutate_margin(silo, who, |m| {
				let src = from.of(m);
				*src = src.checked_sub(amount).ok_or(from.shortfall::<T>())?;
				let dst = to.of(m);
				*dst = dst.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
				Ok(())
			})
		}

		pub(crate) fn do_settle(
			silo: SiloId,
			who: &T::AccountId,
			settlement: Settlement<T::AccountId>,
		) -> Result<SettlementOutcome, DispatchError> {
			let mut info = Self::silo(silo)?;
			let Settlement { margin, pnl, fee, keeper_deposit, reward } = settlement;
			// The trader's account is read once and written once, after every check.
			let mut entry = Accounts::<T>::get(silo, who);
			let account = &mut entry.margin;
			let released = margin.checked_add(keeper_deposit).ok_or(ArithmeticError::Overflow)?;
			account.locked = account
				.locked
				.checked_sub(released)
				.ok_or(Error::<T>::InsufficientLockedMargin)?;
			let books = &mut info.books;

			// The trader's side against the pool.
			let (mut remaining, bad_debt) = match pnl {
				Pnl::Profit(profit) => {
					// The pool pays what it has and no more. The segment caps a side's profit
					// below the pool (its PnL factor) and auto-deleverages above it, so this
					// binds only on a defect.
					let paid = profit.min(books.lp_liquidity);
					books.lp_liquidity -= paid;
					(margin.checked_add(paid).ok_or(ArithmeticError::Overflow)?, 0)
				},
				Pnl::Loss(loss) => {
					let collected = loss.min(margin);
					books.lp_liquidity = books
						.lp_liquidity
						.checked_add(collected)
						.ok_or(ArithmeticError::Overflow)?;
					(margin - collected, loss - collected)
				},
			};

			// Bad debt: the insurance fund makes the LPs whole first; the rest is theirs to bear.
			let by_insurance = bad_debt.min(books.insurance);
			books.insurance -= by_insurance;
			books.lp_liquidity =
				books.lp_liquidity.checked_add(by_insurance).ok_or(ArithmeticError::Overflow)?;
			let by_lps = bad_debt - by_insurance;
			info.bad_debt = info.bad_debt.saturating_add(bad_debt);

			// The position fee comes out of what the trader has left, as much of it as there is.
			let fee_paid = fee.at_most(remaining);
			remaining -= fee_paid.to_lps + fee_paid.to_insurance;
			Self::collect_fee(&mut info, fee_paid)?;

			// The liquidator gets the keeper deposit whatever the position has left, and its fee
			// out of what the trader has left, never out of the pool. Without a liquidator the
			// deposit goes back to the trader.
			let mut outcome = SettlementOutcome {
				bad_debt,
				covered_by_insurance: by_insurance,
				fee_paid,
				..Default::default()
			};
			let reward = match reward {
				Some((liquidator, fee)) => {
					let fee = fee.min(remaining);
					remaining -= fee;
					let paid = fee.checked_add(keeper_deposit).ok_or(ArithmeticError::Overflow)?;
					outcome.reward_paid = paid;
					Some((liquidator, paid))
				},
				None => {
					remaining =
						remaining.checked_add(keeper_deposit).ok_or(ArithmeticError::Overflow)?;
					None
				},
			};
			account.free = account.free.checked_add(remaining).ok_or(ArithmeticError::Overflow)?;
			Self::store_account(silo, who, entry);
			// After the trader's write, so that a trader liquidating themselves is credited too.
			if let Some((liquidator, paid)) = reward {
				Self::credit_free(silo, &liquidator, paid)?;
			}
			outcome.returned = remaining;
			let segment = info.segment;
			Silos::<T>::insert(silo, info);

			if bad_debt > 0 {
				Self::deposit_event(Event::BadDebtAbsorbed {
					silo,
					bad_debt,
					by_insurance,
					by_lps,
				});
				T::Monitor::note_bad_debt(segment, by_lps);
			}
			Ok(outcome)
		}

		pub(crate) fn do_transfer_escrowed(
			from: SiloId,
			to: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let (source, dest) = Self::routable_pair(from, to)?;
			Self::ensure_can_take_deposit(to, &dest, amount)?;
			let source_value = Self::value(from, &source);
			// The destination's account is checked before anything moves.
			let mut credited = Self::credited(to, who, amount, dest.min_deposit)?;
			let holdings = Self::holdings(to, &dest, who, None);
			let dest_value = Self::value(to, &dest);
			Self::debit(from, who, amount, Bucket::Escrowed)?;
			// A transfer waits in the gateway rather than in the source's exit queue.
			ensure!(
				Self::admit_outflow(from, &source, who, amount, source_value)?,
				Error::<T>::SegmentOutflowLimit
			);
			Self::push(from, &source, &Self::account_id(to), amount, source_value)?;
			T::Monitor::note_inflow(
				dest.segment,
				who,
				&mut credited.flow,
				amount,
				holdings,
				dest_value,
			);
			Self::store_account(to, who, credited);
			Self::deposit_event(Event::MarginTransferred { from, to, who: who.clone(), amount });
			Ok(())
		}

		/// Both silos of a route, if they exist, differ and hold one asset.
		#[allow(clippy::type_complexity)]
		fn routable_pair(
			from: SiloId,
			to: SiloId,
		) -> Result<(SiloInfo<AssetIdOf<T>>, SiloInfo<AssetIdOf<T>>), DispatchError> {
			ensure!(from != to, Error::<T>::SameSilo);
			let (a, b) = (Self::silo(from)?, Self::silo(to)?);
			ensure!(a.asset == b.asset, Error::<T>::AssetMismatch);
			Ok((a, b))
		}
	}

	/// One of a trader's three margin buckets.
	#[derive(Clone, Copy)]
	enum Bucket {
		Free,
		Locked,
		Escrowed,
	}

	impl Bucket {
		fn of(self, m: &mut MarginAccount) -> &mut Balance {
			match self {
				Bucket::Free => &mut m.free,
				Bucket::Locked => &mut m.locked,
				Bucket::Escrowed => &mut m.escrowed,
			}
		}

		fn shortfall<T>(self) -> Error<T> {
			match self {
				Bucket::Free => Error::<T>::InsufficientFreeMargin,
				Bucket::Locked => Error::<T>::InsufficientLockedMargin,
				Bucket::Escrowed => Error::<T>::InsufficientEscrow,
			}
		}
	}

	impl<T: Config> SiloDirectory for Pallet<T> {
		fn segment_of(silo: SiloId) -> Option<SegmentId> {
			Silos::<T>::get(silo).map(|info| info.segment)
		}

		fn silo_of(segment: SegmentId) -> Option<SiloId> {
			SiloOfSegment::<T>::get(segment)
		}
	}

	impl<T: Config> SiloValue for Pallet<T> {
		/// Three reads: the segment's silo, its record, and its account's balance.
		fn silo_value(segment: SegmentId) -> Option<Balance> {
			let silo = SiloOfSegment::<T>::get(segment)?;
			Silos::<T>::get(silo).map(|info| Self::value(silo, &info))
		}
	}

	impl<T: Config> MarginLedger<T::AccountId> for Pallet<T> {
		fn pool_liquidity(segment: SegmentId) -> Balance {
			SiloOfSegment::<T>::get(segment)
				.and_then(Silos::<T>::get)
				.map_or(0, |info| info.books.lp_liquidity)
		}

		fn lock_margin(
			segment: SegmentId,
			who: &T::AccountId,
			amount: Balance,
			fee: Fee,
		) -> DispatchResult {
			Self::do_lock_margin(segment, who, amount, fee)
		}

		fn release_margin(
			segment: SegmentId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			Self::shift_margin(
				Self::bound_silo(segment)?,
				who,
				amount,
				Bucket::Locked,
				Bucket::Free,
			)
		}

		fn settle(
			segment: SegmentId,
			who: &T::AccountId,
			settlement: Settlement<T::AccountId>,
		) -> Result<SettlementOutcome, DispatchError> {
			Self::do_settle(Self::bound_silo(segment)?, who, settlement)
		}
	}

	impl<T: Config> SiloTransfers<T::AccountId> for Pallet<T> {
		fn ensure_routable(from: SiloId, to: SiloId) -> DispatchResult {
			Self::routable_pair(from, to).map(|_| ())
		}

		fn escrow(silo: SiloId, who: &T::AccountId, amount: Balance) -> DispatchResult {
			Self::take_free(silo, &Self::silo(silo)?, who, amount, Some(Bucket::Escrowed))
		}

		fn release_escrow(silo: SiloId, who: &T::AccountId, amount: Balance) -> DispatchResult {
			Self::shift_margin(silo, who, amount, Bucket::Escrowed, Bucket::Free)
		}

		fn transfer_escrowed(
			from: SiloId,
			to: SiloId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			// The breaker is asked after the escrow is debited: a refusal must undo both.
			frame_support::storage::with_storage_layer(|| {
				Self::do_transfer_escrowed(from, to, who, amount)
			})
		}
	}

	/// Read-only views for the runtime API. They never write storage.
	impl<T: Config> Pallet<T> {
		/// Silo `silo`'s figures: one read of the silo and one of its account. `None` for an
		/// unknown silo.
		pub fn summary(silo: SiloId) -> Option<SiloSummary> {
			let info = Silos::<T>::get(silo)?;
			let value = Self::value(silo, &info);
			// Books that do not fit in a balance leave nothing beyond the pool.
			let pool = info.books.reserved().unwrap_or(Balance::MAX);
			Some(SiloSummary {
				segment: info.segment,
				value,
				lp_liquidity: info.books.lp_liquidity,
				lp_shares: info.books.lp_shares,
				insurance: info.books.insurance,
				bad_debt: info.bad_debt,
				fees_to_lps: info.fees_to_lps,
				fees_to_insurance: info.fees_to_insurance,
				beyond_pool: value.saturating_sub(pool),
			})
		}

		/// The first `max` exits waiting in `silo`'s queue, in the order they are paid: index,
		/// owner and what is left of each.
		pub fn exit_queue(silo: SiloId, max: u32) -> Vec<(u32, Exit<T::AccountId>)> {
			let queue = ExitQueues::<T>::get(silo);
			(queue.head..queue.tail)
				.filter_map(|index| Exits::<T>::get(silo, index).map(|exit| (index, exit)))
				.filter(|(_, exit)| !exit.is_cancelled())
				.take(max as usize)
				.collect()
		}

		/// What `who` may take out of `silo` now and be admitted by the breaker: its principal
		/// and its share of what is left of the segment's line. `None` for an unknown silo.
		pub fn outflow_room(silo: SiloId, who: &T::AccountId) -> Option<Balance> {
			let info = Silos::<T>::get(silo)?;
			let flow = Accounts::<T>::get(silo, who).flow;
			Some(T::Monitor::outflow_room(info.segment, who, &flow, Self::value(silo, &info)))
		}

		/// How many exits wait in `silo`'s queue.
		pub fn queued_exits(silo: SiloId) -> u32 {
			ExitQueues::<T>::get(silo).live
		}
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	impl<T: Config> Pallet<T> {
		/// What silo `silo` owes: its LPs, its insurance fund and every trader's margin in it.
		/// `None` if there is no such silo or the sum does not fit in a balance. Iterates the
		/// silo's margin accounts: for checks and tests, never for a call.
		pub fn owed(silo: SiloId) -> Option<Balance> {
			let reserved = Silos::<T>::get(silo)?.books.reserved().ok()?;
			let margins = Accounts::<T>::iter_prefix_values(silo)
				.try_fold(reserved, |sum, a| sum.checked_add(a.margin.total()?))?;
			Exits::<T>::iter_prefix_values(silo).try_fold(margins, |sum, exit| match exit.request {
				ExitRequest::Margin(amount) => sum.checked_add(amount),
				ExitRequest::Liquidity(_) => Some(sum),
			})
		}

		/// Every silo's account holds at least what the silo owes (a direct transfer into it
		/// shows as a surplus, which nobody can claim), no empty account entry is kept and
		/// none in a silo that does not exist, no account's window starts in the future, LP
		/// shares add up (held, queued and escrowed by LP orders), LP orders are counted and
		/// their escrow is in their accounts, and every segment has at most one silo.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (silo, info) in Silos::<T>::iter() {
				let owed = Self::owed(silo).ok_or("books overflow")?;
				ensure!(Self::value(silo, &info) >= owed, "silo account holds less than it owes");
				ensure!(
					Accounts::<T>::iter_prefix_values(silo).all(|a| !a.is_empty()),
					"an empty account kept in storage"
				);
				let now = frame_system::Pallet::<T>::block_number();
				ensure!(
					Accounts::<T>::iter_prefix_values(silo)
						.all(|a| a.flow.taken.bucket_start <= now),
					"an account's outflow window starts in the future"
				);
				let queued: Balance = Exits::<T>::iter_prefix_values(silo)
					.map(|exit| match exit.request {
						ExitRequest::Liquidity(shares) => shares,
						ExitRequest::Margin(_) => 0,
					})
					.fold(0, |a, s| a.saturating_add(s));
				let ordered: Balance = LpOrders::<T>::iter_prefix_values(silo)
					.fold(0, |sum, order| sum.saturating_add(order.escrowed_shares()));
				let shares: Balance = Accounts::<T>::iter_prefix_values(silo)
					.fold(queued.saturating_add(ordered), |sum, a| sum.saturating_add(a.shares));
				ensure!(shares == info.books.lp_shares, "LP shares do not add up");
				let orders = LpOrders::<T>::iter_prefix(silo).count();
				ensure!(
					orders == LpOrderCount::<T>::get(silo) as usize
						&& orders <= T::MaxLpOrders::get() as usize
						&& LpOrderCount::<T>::contains_key(silo) == (orders > 0),
					"LP order count out of step"
				);
				ensure!(
					LpOrders::<T>::iter_prefix(silo).all(|(who, order)| {
						order.escrowed_margin().is_some_and(|escrow| {
							Accounts::<T>::get(silo, &who).margin.escrowed >= escrow
						})
					}),
					"an LP order escrows more than its account's escrowed margin"
				);
				let queue = ExitQueues::<T>::get(silo);
				ensure!(queue.live <= T::MaxQueuedExits::get(), "exit queue over its bound");
				ensure!(
					Exits::<T>::iter_prefix_values(silo).filter(|e| !e.is_cancelled()).count()
						== queue.live as usize,
					"exit queue's count out of step"
				);
				ensure!(
					Exits::<T>::iter_key_prefix(silo).all(|i| i >= queue.head && i < queue.tail),
					"queued exit outside its queue"
				);
				ensure!(
					queue.tail - queue.head <= T::MaxQueuedExits::get().saturating_mul(2),
					"exit queue's span over its bound"
				);
				// What each account has waiting is what its entries hold; a cancelled place
				// (nothing left in it) still counts against its owner's entries.
				let mut waiting = alloc::collections::BTreeMap::<T::AccountId, Queued>::new();
				for exit in Exits::<T>::iter_prefix_values(silo) {
					let mine = waiting.entry(exit.who).or_default();
					*mine = mine.with(exit.request).ok_or("queued amounts overflow")?;
				}
				let recorded: alloc::collections::BTreeMap<_, _> =
					QueuedBy::<T>::iter_prefix(silo).collect();
				ensure!(recorded == waiting, "an account's queued exits out of step");
				ensure!(
					SiloOfSegment::<T>::get(info.segment) == Some(silo),
					"segment index out of step"
				);
			}
			ensure!(
				Accounts::<T>::iter_keys().all(|(silo, _)| Silos::<T>::contains_key(silo)),
				"an account in a silo that does not exist"
			);
			for (segment, silo) in SiloOfSegment::<T>::iter() {
				ensure!(
					Silos::<T>::get(silo).map(|i| i.segment) == Some(segment),
					"segment index names a missing silo"
				);
			}
			Ok(())
		}
	}
}
