//! The node's RPC methods beyond Substrate's defaults: account nonces, fee queries, manual
//! sealing on dev chains, and Bulkhead's `segments_*` methods.

use std::sync::Arc;

use bulkhead_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use bulkhead_runtime_api::{
	BlastRadius, PoolView, PositionView, QueuedExit, SegmentHealthView, SegmentId,
	SegmentsApi as SegmentsRuntimeApi,
};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObject, ErrorObjectOwned},
	RpcModule,
};
use sc_consensus_manual_seal::rpc::{EngineCommand, ManualSeal, ManualSealApiServer};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use sp_runtime::traits::Block as BlockT;

type Hash = <Block as BlockT>::Hash;

/// What the RPC methods need.
pub struct FullDeps<C, P> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// On dev chains, the channel to the manual-seal engine.
	pub command_sink: Option<futures::channel::mpsc::Sender<EngineCommand<Hash>>>,
}

/// Bulkhead's read-only RPC methods, answered by the `SegmentsApi` runtime API at the best
/// block, or at `at` when given.
#[rpc(client, server)]
pub trait SegmentsRpc<BlockHash> {
	/// Every segment id.
	#[method(name = "segments_list")]
	fn list(&self, at: Option<BlockHash>) -> RpcResult<Vec<SegmentId>>;

	/// A segment's health: status, open interest, silo value, insurance, bad debt, breaker.
	#[method(name = "segments_health")]
	fn health(
		&self,
		segment: SegmentId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<SegmentHealthView<BlockNumber>>>;

	/// A position's margin ratio, liquidation price and unrealized PnL.
	#[method(name = "segments_position")]
	fn position(
		&self,
		segment: SegmentId,
		who: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<PositionView>>;

	/// The value at risk in a segment and its contagion bound.
	#[method(name = "segments_blastRadius")]
	fn blast_radius(
		&self,
		segment: SegmentId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<BlastRadius>>;

	/// Up to `max` (default 100) accounts below maintenance margin.
	#[method(name = "segments_liquidatable")]
	fn liquidatable(
		&self,
		segment: SegmentId,
		max: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<AccountId>>;

	/// A segment's LP pool marked to market, with the first `max` (default 10) entries of
	/// each side's auto-deleveraging queue.
	#[method(name = "segments_pool")]
	fn pool(
		&self,
		segment: SegmentId,
		max: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Option<PoolView<AccountId>>>;

	/// The first `max` (default 64) exits waiting in a segment's silo, in the order they are
	/// paid, each with its place and what its owner may take out now.
	#[method(name = "segments_exits")]
	fn exits(
		&self,
		segment: SegmentId,
		max: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<QueuedExit<AccountId>>>;

	/// What an account may take out of a segment's silo now: its principal and its share of
	/// what is left of the outflow line.
	#[method(name = "segments_outflowRoom")]
	fn outflow_room(
		&self,
		segment: SegmentId,
		who: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Balance>;
}

/// Serves [`SegmentsRpcServer`] from a client.
pub struct Segments<C> {
	client: Arc<C>,
}

/// The runtime API call failed (an old runtime without `SegmentsApi`, or a pruned block).
fn runtime_error(e: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(1, "SegmentsApi call failed", Some(e.to_string()))
}

/// The largest `max` a keeper may ask for in one call.
const MAX_LIQUIDATABLE: u32 = 1_000;

impl<C> Segments<C>
where
	C: HeaderBackend<Block>,
{
	fn at(&self, at: Option<Hash>) -> Hash {
		at.unwrap_or_else(|| self.client.info().best_hash)
	}
}

impl<C> SegmentsRpcServer<Hash> for Segments<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: SegmentsRuntimeApi<Block, AccountId, BlockNumber>,
{
	fn list(&self, at: Option<Hash>) -> RpcResult<Vec<SegmentId>> {
		self.client.runtime_api().segments(self.at(at)).map_err(runtime_error)
	}

	fn health(
		&self,
		segment: SegmentId,
		at: Option<Hash>,
	) -> RpcResult<Option<SegmentHealthView<BlockNumber>>> {
		self.client
			.runtime_api()
			.segment_health(self.at(at), segment)
			.map_err(runtime_error)
	}

	fn position(
		&self,
		segment: SegmentId,
		who: AccountId,
		at: Option<Hash>,
	) -> RpcResult<Option<PositionView>> {
		self.client
			.runtime_api()
			.position(self.at(at), segment, who)
			.map_err(runtime_error)
	}

	fn blast_radius(&self, segment: SegmentId, at: Option<Hash>) -> RpcResult<Option<BlastRadius>> {
		self.client
			.runtime_api()
			.blast_radius(self.at(at), segment)
			.map_err(runtime_error)
	}

	fn liquidatable(
		&self,
		segment: SegmentId,
		max: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<AccountId>> {
		let max = max.unwrap_or(100).min(MAX_LIQUIDATABLE);
		self.client
			.runtime_api()
			.liquidatable(self.at(at), segment, max)
			.map_err(runtime_error)
	}

	fn pool(
		&self,
		segment: SegmentId,
		max: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Option<PoolView<AccountId>>> {
		let max = max.unwrap_or(10).min(MAX_LIQUIDATABLE);
		self.client.runtime_api().pool(self.at(at), segment, max).map_err(runtime_error)
	}

	fn exits(
		&self,
		segment: SegmentId,
		max: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<QueuedExit<AccountId>>> {
		let max = max.unwrap_or(64).min(MAX_LIQUIDATABLE);
		self.client
			.runtime_api()
			.exits(self.at(at), segment, max)
			.map_err(runtime_error)
	}

	fn outflow_room(
		&self,
		segment: SegmentId,
		who: AccountId,
		at: Option<Hash>,
	) -> RpcResult<Balance> {
		self.client
			.runtime_api()
			.outflow_room(self.at(at), segment, who)
			.map_err(runtime_error)
	}
}

/// Every RPC extension of a full node.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: sp_block_builder::BlockBuilder<Block>,
	C::Api: SegmentsRuntimeApi<Block, AccountId, BlockNumber>,
	P: TransactionPool + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, command_sink } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Segments { client }.into_rpc())?;
	if let Some(sink) = command_sink {
		module.merge(ManualSeal::new(sink).into_rpc())?;
	}
	Ok(module)
}
