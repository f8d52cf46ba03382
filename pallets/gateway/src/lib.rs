//! # Permissioned gateway
//!
//! The only way value crosses from one collateral silo to another. Governance opens routes
//! `(from, to)`; each carries at most `window_limit` per sliding window of `window_length`
//! blocks, net of what its reverse route carried back, and one account at most
//! `max_account_share` of that. Once what an account moved along a route in the window plus a
//! transfer reaches the route's `large_transfer` threshold, the transfer waits `delay` blocks,
//! needs M-of-N guardian approvals, and may be vetoed by any guardian meanwhile; below it,
//! transfers go through at once. A route carries nothing while either end's segment is not
//! normal, so a severed segment's routes are closed without anyone closing them.
//!
//! Guardians are [`Config::Guardians`] (a membership pallet in the runtime); M is
//! [`ApprovalThreshold`], set by governance. Until governance sets it, every current guardian
//! must approve.
//!
//! ## Calls
//!
//! - [`Pallet::open_route`], [`Pallet::close_route`], [`Pallet::set_approval_threshold`]
//!   (governance origin)
//! - [`Pallet::request_transfer`], [`Pallet::cancel_transfer`] (the trader)
//! - [`Pallet::approve_transfer`], [`Pallet::veto_transfer`] (guardians)
//! - [`Pallet::execute_transfer`] (anyone, once approvals and delay are satisfied)
//!
//! ## Interface
//!
//! Moves margin only through [`SiloTransfers`](segment_interface::SiloTransfers) (escrow on request, release on cancel or veto,
//! transfer on execution), and asks [`SegmentHealth`](segment_interface::SegmentHealth) about both ends before it moves anything.

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub mod migrations;
pub mod weights;

pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use codec::{DecodeWithMemTracking, MaxEncodedLen};
	use frame_support::{
		defensive,
		pallet_prelude::*,
		traits::{DefensiveSaturating, SortedMembers},
	};
	use frame_system::pallet_prelude::*;
	use segment_interface::{
		views::RouteCapacity, window::SlidingWindow, Balance, RouteId, SegmentHealth,
		SiloDirectory, SiloId, SiloTransfers,
	};
	use sp_runtime::{traits::Zero, ArithmeticError, Permill, Saturating};

	/// Identifies one transfer request.
	pub type TransferId = u64;

	/// What a route may carry and when a transfer needs guardians.
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
	pub struct RouteLimits<BlockNumber> {
		/// Most the route carries per window.
		pub window_limit: Balance,
		/// Window length, in blocks.
		pub window_length: BlockNumber,
		/// An account that moves at least this much along the route within a window (this
		/// transfer and what it carried in the window before) needs guardian approvals and waits
		/// `delay`: splitting a transfer gains nothing.
		pub large_transfer: Balance,
		/// The most one account may move along the route per window, as a share of
		/// `window_limit`: nobody fills a route for everyone else.
		pub max_account_share: Permill,
		/// Blocks a large transfer waits, during which guardians can veto it.
		pub delay: BlockNumber,
	}

	impl<N: Zero> RouteLimits<N> {
		fn is_valid(&self) -> bool {
			self.window_limit > 0
				&& !self.window_length.is_zero()
				&& self.large_transfer > 0
				&& !self.max_account_share.is_zero()
		}

		/// The most one account may move along the route per window.
		pub fn per_account(&self) -> Balance {
			self.max_account_share.mul_floor(self.window_limit)
		}
	}

	/// An open route and what it carried lately.
	#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct Route<BlockNumber> {
		pub from: SiloId,
		pub to: SiloId,
		pub limits: RouteLimits<BlockNumber>,
		pub carried: SlidingWindow<BlockNumber>,
	}

	/// A large transfer waiting for approvals and its delay.
	#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
	#[scale_info(skip_type_params(MaxApprovals))]
	pub struct PendingTransfer<AccountId, BlockNumber, MaxApprovals: Get<u32>> {
		pub route: RouteId,
		/// The silo its margin is escrowed in (kept here: the route may close meanwhile).
		pub from: SiloId,
		pub who: AccountId,
		pub amount: Balance,
		/// The first block it may execute in.
		pub executable_at: BlockNumber,
		pub approvals: BoundedVec<AccountId, MaxApprovals>,
	}

	pub type PendingTransferOf<T> = PendingTransfer<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxGuardians,
	>;

	/// The layout of this pallet's storage; [`migrations`] takes a chain from
	/// each version to the next (see `docs/upgrades.md`).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// May open and close routes and set the approval threshold.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The guardians who approve and veto large transfers.
		type Guardians: SortedMembers<Self::AccountId>;
		/// The silos, through which all value moves.
		type Silos: SiloTransfers<Self::AccountId>;
		/// The breaker's verdict on each route end's segment.
		type Health: SegmentHealth;
		/// Most guardians whose approvals one transfer records; also the highest threshold.
		#[pallet::constant]
		type MaxGuardians: Get<u32>;
		/// Most transfers one account may have pending at once.
		#[pallet::constant]
		type MaxPendingPerAccount: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Gives the benchmarks silos and margin.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// The id the next route will get.
	#[pallet::storage]
	pub type NextRouteId<T: Config> = StorageValue<_, RouteId, ValueQuery>;

	/// Every open route.
	// Twox64Concat is safe: route ids are sequential, chosen by the pallet.
	#[pallet::storage]
	pub type Routes<T: Config> =
		StorageMap<_, Twox64Concat, RouteId, Route<BlockNumberFor<T>>, OptionQuery>;

	/// The open route from one silo to another, if any.
	// Twox64Concat is safe: silo ids are chosen by the admin.
	#[pallet::storage]
	pub type RouteByEnds<T: Config> =
		StorageDoubleMap<_, Twox64Concat, SiloId, Twox64Concat, SiloId, RouteId, OptionQuery>;

	/// M: guardian approvals a large transfer needs. `None`: all current guardians.
	#[pallet::storage]
	pub type ApprovalThreshold<T: Config> = StorageValue<_, u32, OptionQuery>;

	/// What each account moved along each route lately: its share of the route's window, and
	/// what decides whether its next transfer needs approvals.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type AccountUse<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RouteId,
		Blake2_128Concat,
		T::AccountId,
		SlidingWindow<BlockNumberFor<T>>,
		ValueQuery,
	>;

	/// The id the next transfer will get.
	#[pallet::storage]
	pub type NextTransferId<T: Config> = StorageValue<_, TransferId, ValueQuery>;

	/// Large transfers waiting for approvals or their delay.
	// Twox64Concat is safe: transfer ids are sequential, chosen by the pallet.
	#[pallet::storage]
	pub type Transfers<T: Config> =
		StorageMap<_, Twox64Concat, TransferId, PendingTransferOf<T>, OptionQuery>;

	/// How many transfers each account has pending.
	// Blake2_128Concat: users choose their accounts.
	#[pallet::storage]
	pub type PendingCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// M, the approvals a large transfer needs; `None` for all guardians.
		pub approval_threshold: Option<u32>,
		/// `(from, to, limits)`: routes open from block 0. Both silos must exist (the silos
		/// pallet builds first).
		pub routes: Vec<(SiloId, SiloId, RouteLimits<BlockNumberFor<T>>)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(m) = self.approval_threshold {
				assert!(m >= 1 && m <= T::MaxGuardians::get(), "approval threshold out of range");
				ApprovalThreshold::<T>::put(m);
			}
			for (from, to, limits) in &self.routes {
				Pallet::<T>::do_open_route(*from, *to, *limits)
					.expect("genesis route must be openable");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance opened a route.
		RouteOpened {
			route: RouteId,
			from: SiloId,
			to: SiloId,
			limits: RouteLimits<BlockNumberFor<T>>,
		},
		/// Governance closed a route.
		RouteClosed { route: RouteId },
		/// Governance set M.
		ApprovalThresholdSet { threshold: u32 },
		/// A trader asked to move `amount` of free margin along `route`; it is escrowed in the
		/// source silo. `needs_approval` says whether guardians must approve it.
		TransferRequested {
			transfer: TransferId,
			route: RouteId,
			who: T::AccountId,
			amount: Balance,
			needs_approval: bool,
			executable_at: BlockNumberFor<T>,
		},
		/// A guardian approved a transfer; it has `approvals` so far.
		TransferApproved { transfer: TransferId, guardian: T::AccountId, approvals: u32 },
		/// A guardian vetoed a transfer; the margin went back to the trader.
		TransferVetoed { transfer: TransferId, guardian: T::AccountId },
		/// The trader cancelled a transfer; the margin went back to them.
		TransferCancelled { transfer: TransferId },
		/// `amount` moved along `route`, from one silo to the other.
		TransferExecuted {
			transfer: TransferId,
			route: RouteId,
			who: T::AccountId,
			amount: Balance,
		},
		/// An account's record of what it moved along a route was dropped: its window was spent,
		/// or the route is closed.
		RouteUseForgotten { route: RouteId, who: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A route between these silos is open already.
		RouteExists,
		/// The route is not open (never opened, or closed since).
		RouteNotOpen,
		/// Window limit, window length, large-transfer threshold and account share must be above
		/// zero.
		InvalidLimits,
		/// M must be at least 1 and at most the number of guardians (and `MaxGuardians`).
		InvalidThreshold,
		/// The amount is zero.
		ZeroAmount,
		/// The amount is more than the route may ever carry in one window.
		ExceedsWindowLimit,
		/// The route has carried so much lately that this would pass its window limit; try
		/// again later.
		RateLimited,
		/// One end of the route belongs to a segment that is severed or recovering.
		RouteEndNotNormal,
		/// The account has as many transfers pending as allowed.
		TooManyPending,
		/// No pending transfer has this id.
		UnknownTransfer,
		/// Only a guardian may do this.
		NotGuardian,
		/// This guardian approved the transfer already.
		AlreadyApproved,
		/// The transfer holds `MaxGuardians` approvals, more than any threshold needs.
		ApprovalsFull,
		/// The transfer has fewer approvals from current guardians than the threshold.
		NotEnoughApprovals,
		/// The transfer's delay has not passed yet.
		DelayNotElapsed,
		/// Only the account that requested the transfer may cancel it.
		NotRequester,
		/// The amount is more than one account may move along the route in one window.
		ExceedsAccountShare,
		/// The account has moved so much along the route lately that this would pass its share
		/// of the window; try again later.
		AccountRateLimited,
		/// The account has no record of use on this route.
		NoRouteUse,
		/// What the account moved along the route still counts in the route's window: its record
		/// may go once the window has passed.
		RouteUseNotSpent,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxGuardians::get() > 0, "MaxGuardians must be above zero");
			assert!(T::MaxPendingPerAccount::get() > 0, "MaxPendingPerAccount must be above zero");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Open a route from silo `from` to silo `to` with `limits`.
		///
		/// Origin: [`Config::GovernanceOrigin`]. Emits [`Event::RouteOpened`].
		/// Errors: [`Error::RouteExists`], [`Error::InvalidLimits`], and the silos'
		/// `UnknownSilo`, `SameSilo`, `AssetMismatch`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::open_route())]
		pub fn open_route(
			origin: OriginFor<T>,
			from: SiloId,
			to: SiloId,
			limits: RouteLimits<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_open_route(from, to, limits)
		}

		/// Close a route. Its pending transfers can still be cancelled or vetoed, not executed.
		///
		/// Origin: [`Config::GovernanceOrigin`]. Emits [`Event::RouteClosed`].
		/// Errors: [`Error::RouteNotOpen`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::close_route())]
		pub fn close_route(origin: OriginFor<T>, route: RouteId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_close_route(route)
		}

		/// Set M, the guardian approvals a large transfer needs.
		///
		/// Origin: [`Config::GovernanceOrigin`]. Emits [`Event::ApprovalThresholdSet`].
		/// Errors: [`Error::InvalidThreshold`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_approval_threshold())]
		pub fn set_approval_threshold(origin: OriginFor<T>, threshold: u32) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_approval_threshold(threshold)
		}

		/// Move `amount` of the caller's free margin along `route`. If it and what the caller
		/// moved along the route in the window stay below the route's large-transfer threshold,
		/// it moves at once; otherwise it is escrowed until guardians approve it and its delay
		/// passes. The route's window counts what it carried net of what its reverse route
		/// carried back; the caller may use at most its share of it.
		///
		/// Origin: signed. Emits [`Event::TransferRequested`], and [`Event::TransferExecuted`]
		/// for a small transfer. Errors: [`Error::RouteNotOpen`], [`Error::ZeroAmount`],
		/// [`Error::ExceedsWindowLimit`], [`Error::ExceedsAccountShare`], [`Error::RateLimited`],
		/// [`Error::AccountRateLimited`], [`Error::RouteEndNotNormal`], [`Error::TooManyPending`], and the silos' `InsufficientFreeMargin` and, for a small
		/// transfer that moves at once, the silos' errors of a move: the destination's
		/// `SiloFrozen`, `DepositCapExceeded` or `DepositBelowMinimum`, the source's
		/// `SiloBelowMinimum`; and the source's `RemainderBelowMinimum` when the escrow would
		/// leave dust behind.
		#[pallet::call_index(3)]
		#[pallet::weight(
			T::WeightInfo::request_transfer().max(T::WeightInfo::request_large_transfer())
		)]
		pub fn request_transfer(
			origin: OriginFor<T>,
			route: RouteId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_transfer(route, &who, amount)
		}

		/// Approve a pending transfer.
		///
		/// Origin: signed by a guardian. Emits [`Event::TransferApproved`].
		/// Errors: [`Error::NotGuardian`], [`Error::UnknownTransfer`], [`Error::AlreadyApproved`],
		/// [`Error::ApprovalsFull`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::approve_transfer())]
		pub fn approve_transfer(origin: OriginFor<T>, transfer: TransferId) -> DispatchResult {
			let guardian = ensure_signed(origin)?;
			Self::do_approve_transfer(transfer, &guardian)
		}

		/// Veto a pending transfer: its margin goes back to the trader's free margin.
		///
		/// Origin: signed by a guardian. Emits [`Event::TransferVetoed`].
		/// Errors: [`Error::NotGuardian`], [`Error::UnknownTransfer`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::veto_transfer())]
		pub fn veto_transfer(origin: OriginFor<T>, transfer: TransferId) -> DispatchResult {
			let guardian = ensure_signed(origin)?;
			Self::do_veto_transfer(transfer, guardian)
		}

		/// Execute a pending transfer whose approvals and delay are satisfied.
		///
		/// Origin: signed (anyone). Emits [`Event::TransferExecuted`]. Errors:
		/// [`Error::UnknownTransfer`], [`Error::RouteNotOpen`], [`Error::NotEnoughApprovals`],
		/// [`Error::DelayNotElapsed`], [`Error::RouteEndNotNormal`], [`Error::RateLimited`],
		/// [`Error::AccountRateLimited`], the silos' `SegmentOutflowLimit` and
		/// `AccountOutflowLimit` (the source segment's outflow line), and
		/// the silos' errors of a move: the destination's `SiloFrozen`, `DepositCapExceeded` or
		/// `DepositBelowMinimum`, the source's `SiloBelowMinimum`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::execute_transfer())]
		pub fn execute_transfer(origin: OriginFor<T>, transfer: TransferId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_execute_transfer(transfer)
		}

		/// Cancel one's own pending transfer: its margin goes back to free margin.
		///
		/// Origin: signed by the requester. Emits [`Event::TransferCancelled`].
		/// Errors: [`Error::UnknownTransfer`], [`Error::NotRequester`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::cancel_transfer())]
		pub fn cancel_transfer(origin: OriginFor<T>, transfer: TransferId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_transfer(transfer, &who)
		}

		/// Drop `who`'s record of what it moved along `route`, once nothing in it counts: its
		/// window has passed, or the route is closed. Anyone may call it, and pays no fee when
		/// it drops a record: what the chain keeps for an account that moved once is not kept
		/// forever.
		///
		/// Origin: signed. Emits [`Event::RouteUseForgotten`].
		/// Errors: [`Error::NoRouteUse`], [`Error::RouteUseNotSpent`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::forget_route_use())]
		pub fn forget_route_use(
			origin: OriginFor<T>,
			route: RouteId,
			who: T::AccountId,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			Self::do_forget_route_use(route, &who)?;
			Ok(Pays::No.into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// M now: the threshold governance set, or every current guardian.
		pub fn approval_threshold() -> u32 {
			ApprovalThreshold::<T>::get()
				.unwrap_or_else(|| T::Guardians::count() as u32)
				.max(1)
		}

		fn route(route: RouteId) -> Result<Route<BlockNumberFor<T>>, Error<T>> {
			Routes::<T>::get(route).ok_or(Error::<T>::RouteNotOpen)
		}

		/// Both ends' segments must be normal.
		fn ensure_ends_normal(route: &Route<BlockNumberFor<T>>) -> Result<(), Error<T>> {
			for silo in [route.from, route.to] {
				let normal = T::Silos::segment_of(silo)
					.is_some_and(|segment| T::Health::status(segment).allows_new_risk());
				ensure!(normal, Error::<T>::RouteEndNotNormal);
			}
			Ok(())
		}

		/// What the route has carried, net of what its reverse route carried back, over its
		/// window at `now`: the two directions of a pair offset each other.
		fn net_carried(route: &Route<BlockNumberFor<T>>, now: BlockNumberFor<T>) -> Balance {
			let back = RouteByEnds::<T>::get(route.to, route.from)
				.and_then(Routes::<T>::get)
				.map_or(0, |reverse| reverse.carried.usage(now, reverse.limits.window_length));
			route.carried.usage(now, route.limits.window_length).saturating_sub(back)
		}

		/// Record `amount` on the route's window and the account's, and move it between the
		/// silos.
		fn carry(
			id: RouteId,
			mut route: Route<BlockNumberFor<T>>,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			let length = route.limits.window_length;
			ensure!(
				Self::net_carried(&route, now).saturating_add(amount) <= route.limits.window_limit,
				Error::<T>::RateLimited
			);
			let mut used = AccountUse::<T>::get(id, who);
			ensure!(
				used.has_room(now, length, amount, route.limits.per_account()),
				Error::<T>::AccountRateLimited
			);
			route.carried.record(now, length, amount);
			used.record(now, length, amount);
			T::Silos::transfer_escrowed(route.from, route.to, who, amount)?;
			Routes::<T>::insert(id, route);
			AccountUse::<T>::insert(id, who, used);
			Ok(())
		}

		/// Remove a pending transfer and its count.
		fn take_pending(transfer: TransferId) -> Result<PendingTransferOf<T>, DispatchError> {
			let pending = Transfers::<T>::take(transfer).ok_or(Error::<T>::UnknownTransfer)?;
			// Every pending transfer is counted against its requester (`try_state` checks it), so
			// the count is at least one here; anything else is a broken invariant, logged.
			PendingCount::<T>::mutate_exists(&pending.who, |count| {
				let left = match *count {
					Some(n) => n.defensive_saturating_sub(1),
					None => {
						defensive!("a pending transfer whose requester has no pending count");
						0
					},
				};
				*count = Some(left).filter(|n| *n > 0);
			});
			Ok(pending)
		}

		/// Every route out of `silo`: what it carried in its window, net of its reverse route,
		/// and what it may still carry. A read-only view for the runtime API.
		pub fn outbound_capacity(silo: SiloId) -> Vec<RouteCapacity> {
			let now = frame_system::Pallet::<T>::block_number();
			RouteByEnds::<T>::iter_prefix(silo)
				.filter_map(|(_, id)| Routes::<T>::get(id).map(|route| (id, route)))
				.map(|(id, route)| {
					let net = Self::net_carried(&route, now);
					RouteCapacity {
						route: id,
						to: route.to,
						remaining: route.limits.window_limit.saturating_sub(net),
						carried: route.carried.usage(now, route.limits.window_length),
						net,
						window_limit: route.limits.window_limit,
						per_account: route.limits.per_account(),
						open: Self::ensure_ends_normal(&route).is_ok(),
					}
				})
				.collect()
		}

		pub(crate) fn do_open_route(
			from: SiloId,
			to: SiloId,
			limits: RouteLimits<BlockNumberFor<T>>,
		) -> DispatchResult {
			ensure!(limits.is_valid(), Error::<T>::InvalidLimits);
			ensure!(!RouteByEnds::<T>::contains_key(from, to), Error::<T>::RouteExists);
			T::Silos::ensure_routable(from, to)?;
			let route = NextRouteId::<T>::get();
			NextRouteId::<T>::put(route.checked_add(1).ok_or(ArithmeticError::Overflow)?);
			Routes::<T>::insert(route, Route { from, to, limits, carried: Default::default() });
			RouteByEnds::<T>::insert(from, to, route);
			Self::deposit_event(Event::RouteOpened { route, from, to, limits });
			Ok(())
		}

		pub(crate) fn do_forget_route_use(route: RouteId, who: &T::AccountId) -> DispatchResult {
			ensure!(AccountUse::<T>::contains_key(route, who), Error::<T>::NoRouteUse);
			if let Some(open) = Routes::<T>::get(route) {
				let now = frame_system::Pallet::<T>::block_number();
				let used = AccountUse::<T>::get(route, who).usage(now, open.limits.window_length);
				ensure!(used == 0, Error::<T>::RouteUseNotSpent);
			}
			AccountUse::<T>::remove(route, who);
			Self::deposit_event(Event::RouteUseForgotten { route, who: who.clone() });
			Ok(())
		}

		pub(crate) fn do_close_route(route: RouteId) -> DispatchResult {
			let closed = Routes::<T>::take(route).ok_or(Error::<T>::RouteNotOpen)?;
			RouteByEnds::<T>::remove(closed.from, closed.to);
			Self::deposit_event(Event::RouteClosed { route });
			Ok(())
		}

		pub(crate) fn do_set_approval_threshold(threshold: u32) -> DispatchResult {
			ensure!(
				threshold >= 1
					&& threshold <= T::MaxGuardians::get()
					&& threshold as usize <= T::Guardians::count(),
				Error::<T>::InvalidThreshold
			);
			ApprovalThreshold::<T>::put(threshold);
			Self::deposit_event(Event::ApprovalThresholdSet { threshold });
			Ok(())
		}

		pub(crate) fn do_request_transfer(
			id: RouteId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let route = Self::route(id)?;
			ensure!(amount <= route.limits.window_limit, Error::<T>::ExceedsWindowLimit);
			ensure!(amount <= route.limits.per_account(), Error::<T>::ExceedsAccountShare);
			Self::ensure_ends_normal(&route)?;
			T::Silos::escrow(route.from, who, amount)?;

			let transfer = NextTransferId::<T>::get();
			NextTransferId::<T>::put(transfer.checked_add(1).ok_or(ArithmeticError::Overflow)?);
			let now = frame_system::Pallet::<T>::block_number();
			// What the account moved along the route in the window counts with this transfer.
			let moved = AccountUse::<T>::get(id, who).usage(now, route.limits.window_length);
			ensure!(
				moved.saturating_add(amount) <= route.limits.per_account(),
				Error::<T>::AccountRateLimited
			);
			let needs_approval = moved.saturating_add(amount) >= route.limits.large_transfer;
			let executable_at =
				if needs_approval { now.saturating_add(route.limits.delay) } else { now };
			Self::deposit_event(Event::TransferRequested {
				transfer,
				route: id,
				who: who.clone(),
				amount,
				needs_approval,
				executable_at,
			});

			if !needs_approval {
				Self::carry(id, route, who, amount)?;
				Self::deposit_event(Event::TransferExecuted {
					transfer,
					route: id,
					who: who.clone(),
					amount,
				});
				return Ok(());
			}
			PendingCount::<T>::try_mutate(who, |count| {
				ensure!(*count < T::MaxPendingPerAccount::get(), Error::<T>::TooManyPending);
				*count += 1;
				Ok::<_, Error<T>>(())
			})?;
			Transfers::<T>::insert(
				transfer,
				PendingTransfer {
					route: id,
					from: route.from,
					who: who.clone(),
					amount,
					executable_at,
					approvals: Default::default(),
				},
			);
			Ok(())
		}

		pub(crate) fn do_approve_transfer(
			transfer: TransferId,
			guardian: &T::AccountId,
		) -> DispatchResult {
			ensure!(T::Guardians::contains(guardian), Error::<T>::NotGuardian);
			let approvals = Transfers::<T>::try_mutate(transfer, |pending| {
				let pending = pending.as_mut().ok_or(Error::<T>::UnknownTransfer)?;
				ensure!(!pending.approvals.contains(guardian), Error::<T>::AlreadyApproved);
				pending
					.approvals
					.try_push(guardian.clone())
					.map_err(|_| Error::<T>::ApprovalsFull)?;
				Ok::<_, Error<T>>(pending.approvals.len() as u32)
			})?;
			Self::deposit_event(Event::TransferApproved {
				transfer,
				guardian: guardian.clone(),
				approvals,
			});
			Ok(())
		}

		pub(crate) fn do_veto_transfer(
			transfer: TransferId,
			guardian: T::AccountId,
		) -> DispatchResult {
			ensure!(T::Guardians::contains(&guardian), Error::<T>::NotGuardian);
			let pending = Self::take_pending(transfer)?;
			T::Silos::release_escrow(pending.from, &pending.who, pending.amount)?;
			Self::deposit_event(Event::TransferVetoed { transfer, guardian });
			Ok(())
		}

		pub(crate) fn do_cancel_transfer(
			transfer: TransferId,
			who: &T::AccountId,
		) -> DispatchResult {
			// Taken at once: a failing check below reverts the call, and with it the take.
			let pending = Self::take_pending(transfer)?;
			ensure!(pending.who == *who, Error::<T>::NotRequester);
			T::Silos::release_escrow(pending.from, who, pending.amount)?;
			Self::deposit_event(Event::TransferCancelled { transfer });
			Ok(())
		}

		pub(crate) fn do_execute_transfer(transfer: TransferId) -> DispatchResult {
			// Taken at once: a failing check below reverts the call, and with it the take.
			let pending = Self::take_pending(transfer)?;
			let route = Self::route(pending.route)?;
			// Only approvals of guardians who are still guardians count.
			let approvals =
				pending.approvals.iter().filter(|g| T::Guardians::contains(g)).count() as u32;
			ensure!(approvals >= Self::approval_threshold(), Error::<T>::NotEnoughApprovals);
			ensure!(
				frame_system::Pallet::<T>::block_number() >= pending.executable_at,
				Error::<T>::DelayNotElapsed
			);
			Self::ensure_ends_normal(&route)?;
			Self::carry(pending.route, route, &pending.who, pending.amount)?;
			Self::deposit_event(Event::TransferExecuted {
				transfer,
				route: pending.route,
				who: pending.who,
				amount: pending.amount,
			});
			Ok(())
		}
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	impl<T: Config> Pallet<T> {
		/// The route index matches the routes, pending counts match the pending transfers, and
		/// every id is below its counter.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next_route = NextRouteId::<T>::get();
			for (id, route) in Routes::<T>::iter() {
				ensure!(id < next_route, "route id at or past the counter");
				ensure!(
					RouteByEnds::<T>::get(route.from, route.to) == Some(id),
					"route missing from the index"
				);
				ensure!(route.limits.is_valid(), "stored route limits are invalid");
			}
			for (route, _, _) in AccountUse::<T>::iter() {
				ensure!(route < next_route, "account use on a route never opened");
			}
			for (from, to, id) in RouteByEnds::<T>::iter() {
				let route = Routes::<T>::get(id).ok_or("index names a closed route")?;
				ensure!((route.from, route.to) == (from, to), "index names the wrong route");
			}
			let next_transfer = NextTransferId::<T>::get();
			let mut counts = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
			for (id, pending) in Transfers::<T>::iter() {
				ensure!(id < next_transfer, "transfer id at or past the counter");
				ensure!(pending.amount > 0, "pending transfer of nothing");
				ensure!(pending.route < next_route, "transfer on a route never opened");
				*counts.entry(pending.who).or_default() += 1;
			}
			for (who, count) in PendingCount::<T>::iter() {
				ensure!(counts.remove(&who) == Some(count), "pending count out of step");
			}
			ensure!(counts.is_empty(), "pending transfers without a count");
			Ok(())
		}
	}
}
