//! `SegmentsApi`: what a dashboard, a risk desk or a keeper asks a Bulkhead runtime.
//!
//! Every method is a read at one block. The view types live in
//! [`segment_interface::views`]; the node's `segments_*` RPC methods serve the same answers
//! as JSON, and `@polkadot/api` can call them as `api.call.segmentsApi.*`.

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use segment_interface::Balance;
pub use segment_interface::{
	views::{
		AdlEntry, BlastRadius, BreakerView, Clearance, OutflowView, PoolMark, PoolView,
		PositionView, QueuedExit, RouteCapacity, SegmentHealthView,
	},
	SegmentId,
};

sp_api::decl_runtime_apis! {
	/// Bulkhead's segments, as the runtime sees them at one block. Version 2 adds
	/// [`SegmentsApi::pool`]; version 3 the outflow line, queued exits and what clears a trip
	/// in [`SegmentHealthView`], [`SegmentsApi::exits`] and [`SegmentsApi::outflow_room`], and
	/// each route's net and per-account figures in [`RouteCapacity`]; version 4 the breaker's
	/// reference price, last accepted price and whether it rejects the latest one in
	/// [`SegmentHealthView`]; version 5 where its market is in its life
	/// ([`SegmentHealthView::market`]: live, settling or delisted).
	#[api_version(5)]
	pub trait SegmentsApi<AccountId, BlockNumber> where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// Every segment id, in ascending order.
		fn segments() -> Vec<SegmentId>;
		/// A segment's status, open interest, silo value, insurance, bad debt and breaker.
		fn segment_health(segment: SegmentId) -> Option<SegmentHealthView<BlockNumber>>;
		/// `who`'s position in `segment`: margin ratio, liquidation price, unrealized PnL.
		fn position(segment: SegmentId, who: AccountId) -> Option<PositionView>;
		/// The value at risk inside `segment` and the most that could leave it through its
		/// gateway routes in the current windows.
		fn blast_radius(segment: SegmentId) -> Option<BlastRadius>;
		/// Up to `max` accounts `liquidate` would accept now in `segment`.
		fn liquidatable(segment: SegmentId, max: u32) -> Vec<AccountId>;
		/// `segment`'s LP pool marked to market: value and share price, reserved against the
		/// reserve cap, pending PnL per side, the PnL-to-pool ratio beside the ADL trigger and
		/// floor, fees accrued, borrowing rates, and the first `max` entries of each side's
		/// ADL queue.
		fn pool(segment: SegmentId, max: u32) -> Option<PoolView<AccountId>>;
		/// The first `max` exits waiting in `segment`'s silo, in the order they are paid,
		/// each with its place and what its owner may take out now.
		fn exits(segment: SegmentId, max: u32) -> Vec<QueuedExit<AccountId>>;
		/// What `who` may take out of `segment`'s silo now: its principal (what it brought in
		/// and has not taken out) and its share of what is left of the outflow line.
		fn outflow_room(segment: SegmentId, who: AccountId) -> Balance;
	}
}
