//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! `docs/upgrades.md` describes how to write the next one.

/// Version 0 to 1: outflow is measured per account, beyond principal. Each breaker keeps an
/// outflow window of what left beyond principal and windows of principal in and out, instead
/// of gross outflow and inflow windows, and its thresholds gain
/// [`crate::Thresholds::max_account_share`] (the default thresholds' share).
///
/// The new outflow window starts at the upgrade block holding the old window's net outflow,
/// so a segment that was near its line stays near it. Accounts' principal
/// ([`v3::v2::AccountFlows`] until version 3) is seeded by the silos' own migration from what
/// each account holds.
pub mod v1 {
	use crate::{
		empty_window,
		migrations::{v2::v1::Breakers as V1Breakers, v4::v3::Breaker as V3Breaker},
		BreakerState, Config, Pallet, PriceObservation,
	};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use segment_interface::{window::SlidingWindow, Balance, SegmentId};
	use sp_runtime::{traits::AtLeast32BitUnsigned, Permill};
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 0 stored.
	pub mod v0 {
		use super::*;

		/// Thresholds before the per-account share.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Thresholds<N> {
			pub max_net_outflow: Permill,
			pub outflow_window: N,
			pub max_price_move: Permill,
			pub stale_after: Option<N>,
			pub cooldown: N,
			pub probation: N,
		}

		/// Gross outflow and inflow over the window.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct NetFlow<N> {
			pub outflow: SlidingWindow<N>,
			pub inflow: SlidingWindow<N>,
		}

		/// A breaker as version 0 stored it.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Breaker<N> {
			pub state: BreakerState<N>,
			pub thresholds: Thresholds<N>,
			pub last_price: Option<PriceObservation<N>>,
			pub flows: NetFlow<N>,
		}

		impl<N: AtLeast32BitUnsigned + Copy> Breaker<N> {
			/// The same breaker at block `now`, with `max_account_share` for its share and the
			/// old window's net outflow as the new window's first bucket.
			pub fn upgraded(
				self,
				now: N,
				max_account_share: Permill,
			) -> crate::migrations::v2::v1::Breaker<N> {
				let Breaker { state, thresholds: t, last_price, flows } = self;
				let window = t.outflow_window;
				let net: Balance = flows
					.outflow
					.usage(now, window)
					.saturating_sub(flows.inflow.usage(now, window));
				let mut outflow = empty_window();
				if net > 0 {
					outflow.record(now, window, net);
				}
				crate::migrations::v2::v1::Breaker {
					state,
					thresholds: crate::migrations::v4::v3::Thresholds {
						max_net_outflow: t.max_net_outflow,
						max_account_share,
						outflow_window: t.outflow_window,
						max_price_move: t.max_price_move,
						stale_after: t.stale_after,
						cooldown: t.cooldown,
						probation: t.probation,
					},
					last_price,
					outflow,
					inflow: empty_window(),
					returned: empty_window(),
				}
			}
		}

		/// A breaker as version 0 would hold it, for tests that rewind a chain to version 0:
		/// its outflow window as gross outflow, with no inflow (principal flows have no
		/// version 0 form).
		impl<N: AtLeast32BitUnsigned + Copy> From<V3Breaker<N>> for Breaker<N> {
			fn from(b: V3Breaker<N>) -> Self {
				let t = b.thresholds;
				Breaker {
					state: b.state,
					thresholds: Thresholds {
						max_net_outflow: t.max_net_outflow,
						outflow_window: t.outflow_window,
						max_price_move: t.max_price_move,
						stale_after: t.stale_after,
						cooldown: t.cooldown,
						probation: t.probation,
					},
					last_price: b.last_price,
					flows: NetFlow { outflow: b.outflow, inflow: empty_window() },
				}
			}
		}

		/// [`Breakers`](crate::Breakers) as version 0 stored it.
		#[frame_support::storage_alias]
		pub type Breakers<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			SegmentId,
			Breaker<BlockNumberFor<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Rewrites every breaker in the new layout. Use [`MigrateV0ToV1`], which runs this only on
	/// a chain at version 0.
	pub struct UncheckedMigrateV0ToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let now = frame_system::Pallet::<T>::block_number();
			let share = T::DefaultThresholds::get().max_account_share;
			let mut breakers = 0u64;
			V1Breakers::<T>::translate::<v0::Breaker<BlockNumberFor<T>>, _>(|_, old| {
				breakers += 1;
				Some(old.upgraded(now, share))
			});
			// The block number read, and each breaker read and written.
			T::DbWeight::get().reads_writes(breakers + 1, breakers)
		}

		/// Every breaker as version 0 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let breakers: Vec<(SegmentId, v0::Breaker<BlockNumberFor<T>>)> =
				v0::Breakers::<T>::iter().collect();
			Ok(breakers.encode())
		}

		/// The same breakers, each upgraded and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SegmentId, v0::Breaker<BlockNumberFor<T>>)> =
				Decode::decode(&mut &state[..])
					.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			let now = frame_system::Pallet::<T>::block_number();
			let share = T::DefaultThresholds::get().max_account_share;
			ensure!(V1Breakers::<T>::iter_keys().count() == before.len(), "breakers added or lost");
			for (segment, old) in before {
				let new = V1Breakers::<T>::get(segment).ok_or("a breaker was lost")?;
				ensure!(new == old.upgraded(now, share), "a breaker changed beyond its layout");
			}
			Ok(())
		}
	}

	/// Version 0 to 1, run only on a chain at version 0.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		UncheckedMigrateV0ToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 1 to 2: the line's base is the silo's value averaged over time. Each breaker's
/// windows of principal in and out (which let a deposit at a window's boundary raise the next
/// window's line) give way to [`crate::LineBase`], value times blocks over the window.
///
/// The average starts as if the silo had held, for a whole window, what it held when the old
/// window began by the old windows' account, so no deposit of that window counts in full at
/// the upgrade; the outflow window is kept as it was.
pub mod v2 {
	use crate::{
		migrations::v4::v3::{Breaker, Breakers, Thresholds},
		BreakerState, Config, LineBase, Pallet, PriceObservation,
	};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use segment_interface::{window::SlidingWindow, Balance, SegmentId, SiloValue};
	use sp_runtime::traits::AtLeast32BitUnsigned;
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 1 stored.
	pub mod v1 {
		use super::*;

		/// A breaker as version 1 stored it.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Breaker<N> {
			pub state: BreakerState<N>,
			pub thresholds: Thresholds<N>,
			pub last_price: Option<PriceObservation<N>>,
			/// What left beyond principal over the outflow window.
			pub outflow: SlidingWindow<N>,
			/// Principal brought in over the outflow window.
			pub inflow: SlidingWindow<N>,
			/// Principal taken back over the outflow window.
			pub returned: SlidingWindow<N>,
		}

		impl<N: AtLeast32BitUnsigned + Copy> Breaker<N> {
			/// What the silo, worth `silo_value` at `now`, held when the window began, by
			/// version 1's account.
			pub fn value_at_window_start(&self, now: N, silo_value: Balance) -> Balance {
				let window = self.thresholds.outflow_window;
				silo_value
					.saturating_add(self.outflow.usage(now, window))
					.saturating_add(self.returned.usage(now, window))
					.saturating_sub(self.inflow.usage(now, window))
			}

			/// The same breaker at block `now` for a silo worth `silo_value` (`None`: no silo,
			/// nothing observed): the average starts as if the silo had held what it held when
			/// the old window began for a whole window, and holds `silo_value` from now on.
			pub fn upgraded(self, now: N, silo_value: Option<Balance>) -> super::Breaker<N> {
				let window = self.thresholds.outflow_window;
				let base = silo_value.map_or_else(LineBase::default, |value| {
					let mut base =
						LineBase::seeded(now, window, self.value_at_window_start(now, value));
					base.value = value;
					base
				});
				super::Breaker {
					state: self.state,
					thresholds: self.thresholds,
					last_price: self.last_price,
					outflow: self.outflow,
					base,
				}
			}
		}

		/// A breaker as version 1 would hold it, for tests that rewind a chain: no principal
		/// flows in its windows.
		impl<N: AtLeast32BitUnsigned + Copy> From<super::Breaker<N>> for Breaker<N> {
			fn from(b: super::Breaker<N>) -> Self {
				Breaker {
					state: b.state,
					thresholds: b.thresholds,
					last_price: b.last_price,
					outflow: b.outflow,
					inflow: crate::empty_window(),
					returned: crate::empty_window(),
				}
			}
		}

		/// [`Breakers`](crate::Breakers) as version 1 stored it.
		#[frame_support::storage_alias]
		pub type Breakers<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			SegmentId,
			Breaker<BlockNumberFor<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Rewrites every breaker in the new layout. Use [`MigrateV1ToV2`], which runs this only on
	/// a chain at version 1.
	pub struct UncheckedMigrateV1ToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let now = frame_system::Pallet::<T>::block_number();
			let mut breakers = 0u64;
			Breakers::<T>::translate::<v1::Breaker<BlockNumberFor<T>>, _>(|segment, old| {
				breakers += 1;
				Some(old.upgraded(now, T::Silos::silo_value(segment)))
			});
			// The block number read; each breaker read and written, and its silo valued (three
			// reads).
			T::DbWeight::get().reads_writes(4 * breakers + 1, breakers)
		}

		/// Every breaker as version 1 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let breakers: Vec<(SegmentId, v1::Breaker<BlockNumberFor<T>>)> =
				v1::Breakers::<T>::iter().collect();
			Ok(breakers.encode())
		}

		/// The same breakers, each upgraded and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SegmentId, v1::Breaker<BlockNumberFor<T>>)> =
				Decode::decode(&mut &state[..])
					.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(Breakers::<T>::iter_keys().count() == before.len(), "breakers added or lost");
			for (segment, old) in before {
				let new: Breaker<BlockNumberFor<T>> =
					Breakers::<T>::get(segment).ok_or("a breaker was lost")?;
				ensure!(
					new == old.upgraded(now, T::Silos::silo_value(segment)),
					"a breaker changed beyond its layout"
				);
			}
			Ok(())
		}
	}

	/// Version 1 to 2, run only on a chain at version 1.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 to 3: accounts' flows leave the breaker. Each account's
/// [`AccountFlow`](crate::AccountFlow) now lives in its silo entry, beside its margin and pool
/// shares, so that a withdrawal writes the account once (and the segment's breaker once)
/// instead of twice. The silos' migration to their version 5 moves every flow out of
/// [`v2::AccountFlows`](v3::v2::AccountFlows), which the runtime hands it; list it before this
/// one, which drops whatever is left (nothing, when it ran first) and bumps the version.
pub mod v3 {
	use crate::{AccountFlow, Config, Pallet};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use segment_interface::SegmentId;
	#[cfg(feature = "try-runtime")]
	use {alloc::vec::Vec, frame_support::ensure, sp_runtime::TryRuntimeError};

	/// The layout version 2 stored.
	pub mod v2 {
		use super::*;

		/// Each account's flows through each segment's silo, as versions 1 and 2 kept them in
		/// the breaker.
		#[frame_support::storage_alias]
		pub type AccountFlows<T: Config> = StorageDoubleMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			SegmentId,
			frame_support::Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			AccountFlow<BlockNumberFor<T>>,
			frame_support::pallet_prelude::ValueQuery,
		>;
	}

	/// Drops the accounts' flows the silos did not take. Use [`MigrateV2ToV3`], which runs this
	/// only on a chain at version 2.
	pub struct DropAccountFlows<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for DropAccountFlows<T> {
		fn on_runtime_upgrade() -> Weight {
			let removed = v2::AccountFlows::<T>::clear(u32::MAX, None).unique;
			T::DbWeight::get().reads_writes(u64::from(removed) + 1, u64::from(removed))
		}

		/// Nothing to check before.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			Ok(Vec::new())
		}

		/// No flow is left in the breaker.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: Vec<u8>) -> Result<(), TryRuntimeError> {
			ensure!(v2::AccountFlows::<T>::iter().next().is_none(), "account flows left behind");
			Ok(())
		}
	}

	/// Version 2 to 3, run only on a chain at version 2.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		DropAccountFlows<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 to 4: the breaker keeps a time-weighted reference price and the last price it
/// accepted. Its thresholds gain [`crate::Thresholds::max_price_deviation`] and
/// [`crate::Thresholds::reference_window`], the default thresholds' values.
///
/// Each breaker's reference starts at its last price, and that price counts as accepted: a
/// version 3 breaker did not say which prices it rejected. A segment severed for a price
/// move at the upgrade stays severed as it was, and its cool-down runs as before.
pub mod v4 {
	use crate::{Breakers, Config, LineBase, Pallet, PriceObservation};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use segment_interface::{window::SlidingWindow, SegmentId};
	use sp_runtime::{traits::AtLeast32BitUnsigned, Permill};
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout versions 2 and 3 stored.
	pub mod v3 {
		use super::*;
		use crate::BreakerState;

		/// Thresholds before the reference price.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Thresholds<N> {
			pub max_net_outflow: Permill,
			pub max_account_share: Permill,
			pub outflow_window: N,
			pub max_price_move: Permill,
			pub stale_after: Option<N>,
			pub cooldown: N,
			pub probation: N,
		}

		/// A breaker as versions 2 and 3 stored it.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Breaker<N> {
			pub state: BreakerState<N>,
			pub thresholds: Thresholds<N>,
			pub last_price: Option<PriceObservation<N>>,
			pub outflow: SlidingWindow<N>,
			pub base: LineBase<N>,
		}

		impl<N: AtLeast32BitUnsigned + Copy> Breaker<N> {
			/// The same breaker with `defaults`' deviation bound and reference window, its
			/// reference at its last price, and that price accepted.
			pub fn upgraded(self, defaults: &crate::Thresholds<N>) -> crate::Breaker<N> {
				let Breaker { state, thresholds: t, last_price, outflow, base } = self;
				crate::Breaker {
					state,
					thresholds: crate::Thresholds {
						max_net_outflow: t.max_net_outflow,
						max_account_share: t.max_account_share,
						outflow_window: t.outflow_window,
						max_price_move: t.max_price_move,
						max_price_deviation: defaults.max_price_deviation,
						reference_window: defaults.reference_window,
						stale_after: t.stale_after,
						cooldown: t.cooldown,
						probation: t.probation,
					},
					last_price,
					outflow,
					base,
					reference: last_price.map(|p| p.price),
					accepted: last_price,
					rejected_since: None,
				}
			}
		}

		/// A breaker as version 3 would hold it, for tests that rewind a chain.
		impl<N: AtLeast32BitUnsigned + Copy> From<crate::Breaker<N>> for Breaker<N> {
			fn from(b: crate::Breaker<N>) -> Self {
				let t = b.thresholds;
				Breaker {
					state: b.state,
					thresholds: Thresholds {
						max_net_outflow: t.max_net_outflow,
						max_account_share: t.max_account_share,
						outflow_window: t.outflow_window,
						max_price_move: t.max_price_move,
						stale_after: t.stale_after,
						cooldown: t.cooldown,
						probation: t.probation,
					},
					last_price: b.last_price,
					outflow: b.outflow,
					base: b.base,
				}
			}
		}

		/// [`Breakers`](crate::Breakers) as versions 2 and 3 stored it.
		#[frame_support::storage_alias]
		pub type Breakers<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			SegmentId,
			Breaker<BlockNumberFor<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Rewrites every breaker in the new layout. Use [`MigrateV3ToV4`], which runs this only on
	/// a chain at version 3.
	pub struct UncheckedMigrateV3ToV4<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV3ToV4<T> {
		fn on_runtime_upgrade() -> Weight {
			let defaults = T::DefaultThresholds::get();
			let mut breakers = 0u64;
			Breakers::<T>::translate::<v3::Breaker<BlockNumberFor<T>>, _>(|_, old| {
				breakers += 1;
				Some(old.upgraded(&defaults))
			});
			T::DbWeight::get().reads_writes(breakers, breakers)
		}

		/// Every breaker as version 3 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let breakers: Vec<(SegmentId, v3::Breaker<BlockNumberFor<T>>)> =
				v3::Breakers::<T>::iter().collect();
			Ok(breakers.encode())
		}

		/// The same breakers, each upgraded and nothing else changed; none rejects its price.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SegmentId, v3::Breaker<BlockNumberFor<T>>)> =
				Decode::decode(&mut &state[..])
					.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			let defaults = T::DefaultThresholds::get();
			ensure!(Breakers::<T>::iter_keys().count() == before.len(), "breakers added or lost");
			for (segment, old) in before {
				let new = Breakers::<T>::get(segment).ok_or("a breaker was lost")?;
				ensure!(new == old.upgraded(&defaults), "a breaker changed beyond its layout");
				ensure!(
					new.verdict() == segment_interface::PriceVerdict::Accepted,
					"an upgraded breaker rejects its price"
				);
			}
			Ok(())
		}
	}

	/// Version 3 to 4, run only on a chain at version 3.
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		UncheckedMigrateV3ToV4<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
