//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! `docs/upgrades.md` describes how to write the next one.

/// Version 0 to 1: every segment's risk parameters gain a minimum position size
/// ([`crate::RiskParams::min_position_size`]).
pub mod v1 {
	use crate::{Config, Pallet, RiskParams, SegmentInfo, Segments};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use segment_interface::{Balance, Moment, OracleKey, SiloId};
	use sp_runtime::{FixedI128, Perbill, Permill};
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		segment_interface::SegmentId,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 0 stored.
	pub mod v0 {
		use super::*;

		/// Risk parameters before minimum position sizes.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct RiskParams {
			pub initial_margin: Permill,
			pub maintenance_margin: Permill,
			pub max_leverage: u32,
			pub liquidation_fee: Permill,
			pub max_open_interest: Balance,
			pub max_oi_share: Permill,
			pub max_oracle_age: Moment,
			pub funding_rate: Perbill,
		}

		/// A segment before minimum position sizes.
		#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct SegmentInfo<BlockNumber> {
			pub silo: SiloId,
			pub oracle_key: OracleKey,
			pub risk: RiskParams,
			pub long_oi: Balance,
			pub short_oi: Balance,
			pub funding_index: FixedI128,
			pub funding_updated: BlockNumber,
		}

		impl<BlockNumber> SegmentInfo<BlockNumber> {
			/// The same segment with `min_position_size` in its risk parameters.
			pub fn upgraded(self, min_position_size: Balance) -> super::SegmentInfo<BlockNumber> {
				let SegmentInfo {
					silo,
					oracle_key,
					risk,
					long_oi,
					short_oi,
					funding_index,
					funding_updated,
				} = self;
				let RiskParams {
					initial_margin,
					maintenance_margin,
					max_leverage,
					liquidation_fee,
					max_open_interest,
					max_oi_share,
					max_oracle_age,
					funding_rate,
				} = risk;
				super::SegmentInfo {
					silo,
					oracle_key,
					risk: super::RiskParams {
						initial_margin,
						maintenance_margin,
						max_leverage,
						liquidation_fee,
						max_open_interest,
						max_oi_share,
						max_oracle_age,
						funding_rate,
						min_position_size,
					},
					long_oi,
					short_oi,
					funding_index,
					funding_updated,
				}
			}
		}

		/// A segment as version 0 would hold it, for tests that rewind a chain to version 0.
		impl<BlockNumber> From<super::SegmentInfo<BlockNumber>> for SegmentInfo<BlockNumber> {
			fn from(info: super::SegmentInfo<BlockNumber>) -> Self {
				let r = info.risk;
				SegmentInfo {
					silo: info.silo,
					oracle_key: info.oracle_key,
					risk: RiskParams {
						initial_margin: r.initial_margin,
						maintenance_margin: r.maintenance_margin,
						max_leverage: r.max_leverage,
						liquidation_fee: r.liquidation_fee,
						max_open_interest: r.max_open_interest,
						max_oi_share: r.max_oi_share,
						max_oracle_age: r.max_oracle_age,
						funding_rate: r.funding_rate,
					},
					long_oi: info.long_oi,
					short_oi: info.short_oi,
					funding_index: info.funding_index,
					funding_updated: info.funding_updated,
				}
			}
		}

		/// [`Segments`](crate::Segments) as version 0 stored it.
		#[frame_support::storage_alias]
		pub type Segments<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			segment_interface::SegmentId,
			SegmentInfo<BlockNumberFor<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Gives every segment `MinPositionSize` as its minimum position size, everything else
	/// unchanged. Positions already smaller keep their size: they may still be closed,
	/// liquidated or grown past the minimum. Use [`MigrateV0ToV1`], which runs this only on a
	/// chain at version 0.
	pub struct UncheckedMigrateV0ToV1<T, MinPositionSize>(PhantomData<(T, MinPositionSize)>);

	impl<T: Config, MinPositionSize: Get<Balance>> UncheckedMigrateV0ToV1<T, MinPositionSize> {
		/// The minimum every migrated segment gets: never zero, which no segment may have.
		fn min_position_size() -> Balance {
			MinPositionSize::get().max(1)
		}
	}

	impl<T: Config, MinPositionSize: Get<Balance>> UncheckedOnRuntimeUpgrade
		for UncheckedMigrateV0ToV1<T, MinPositionSize>
	{
		fn on_runtime_upgrade() -> Weight {
			let min = Self::min_position_size();
			let mut segments = 0u64;
			Segments::<T>::translate::<v0::SegmentInfo<BlockNumberFor<T>>, _>(|_, old| {
				segments += 1;
				Some(old.upgraded(min))
			});
			T::DbWeight::get().reads_writes(segments, segments)
		}

		/// Every segment as version 0 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let segments: Vec<(SegmentId, v0::SegmentInfo<BlockNumberFor<T>>)> =
				v0::Segments::<T>::iter().collect();
			Ok(segments.encode())
		}

		/// The same segments, each with the minimum and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SegmentId, v0::SegmentInfo<BlockNumberFor<T>>)> =
				Decode::decode(&mut &state[..])
					.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(
				Segments::<T>::iter_keys().count() == before.len(),
				"segments were added or lost"
			);
			for (segment, old) in before {
				let now = Segments::<T>::get(segment).ok_or("a segment was lost")?;
				ensure!(
					now == old.upgraded(Self::min_position_size()),
					"a segment changed beyond its minimum"
				);
				ensure!(now.risk.is_valid(), "migrated risk parameters are invalid");
			}
			Ok(())
		}
	}

	/// Version 0 to 1, run only on a chain at version 0: every segment gets `MinPositionSize`.
	pub type MigrateV0ToV1<T, MinPositionSize> = VersionedMigration<
		0,
		1,
		UncheckedMigrateV0ToV1<T, MinPositionSize>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
