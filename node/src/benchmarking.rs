//! `benchmark extrinsic`: the time a full block of transfers, of trade requests, of trade
//! executions or of executions that increase held positions (their costliest path)
//! takes to execute on this machine, each transaction from an account of its own
//! ([`bulkhead_runtime::block_benchmarks`] says what each block holds).
//!
//! It runs on a chain state built for it (`scripts/benchmark-block.sh` exports one as the chain
//! spec's genesis): the benchmark builds its block on genesis and times its execution there.
//! Before the timing, the same block is built once and its events read: every transaction in it
//! must have done its work (a transfer moved, an order was requested, an order filled), or the
//! benchmark refuses to time it. An order that ends unfilled dispatches successfully too, and
//! costs far less than a fill; without the check a stale state would measure the wrong thing.

use std::sync::Arc;

use bulkhead_runtime::{
	block_benchmarks::{signer, BlockBenchmark, BLOCK_BENCHMARKS},
	tx_extension, AccountId, RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic,
};
use codec::{Decode, Encode};
use frame_benchmarking_cli::{ExtrinsicBuilder, ExtrinsicCmd, ExtrinsicFactory};
use frame_system_rpc_runtime_api::AccountNonceApi;
use sc_block_builder::BlockBuilderBuilder;
use sc_client_api::{StorageProvider, UsageProvider};
use sp_api::{Core, ProvideRuntimeApi};
use sp_core::{storage::StorageKey, Pair, H256};
use sp_inherents::InherentData;
use sp_io::hashing::twox_128;
use sp_runtime::{
	generic::{Digest, DigestItem},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	OpaqueExtrinsic,
};

use crate::service::FullClient;

/// Builds transaction `n` of one kind of block: signed by its own account, at that account's
/// nonce in the genesis state, immortal, no tip.
struct Builder {
	client: Arc<FullClient>,
	bench: &'static BlockBenchmark,
	genesis: H256,
	spec_version: u32,
	transaction_version: u32,
}

impl Builder {
	fn new(client: Arc<FullClient>, bench: &'static BlockBenchmark) -> sc_cli::Result<Self> {
		let genesis = client.usage_info().chain.genesis_hash;
		let version = client
			.runtime_api()
			.version(genesis)
			.map_err(|e| format!("reading the runtime version of the benchmark's genesis: {e}"))?;
		Ok(Self {
			client,
			bench,
			genesis,
			spec_version: version.spec_version,
			transaction_version: version.transaction_version,
		})
	}

	fn sign(
		&self,
		pair: &sp_core::sr25519::Pair,
		nonce: u32,
		call: RuntimeCall,
	) -> OpaqueExtrinsic {
		let extension = tx_extension(nonce);
		// What the extensions add to the signed payload without carrying it: versions, and the
		// genesis hash twice (the chain's, and the era's birth block for an immortal one).
		let implicit = (
			(),
			self.spec_version,
			self.transaction_version,
			self.genesis,
			self.genesis,
			(),
			(),
			(),
			(),
		);
		let payload = SignedPayload::from_raw(call, extension, implicit);
		let signature = payload.using_encoded(|bytes| pair.sign(bytes));
		let (call, extension, _) = payload.deconstruct();
		let signer: AccountId = pair.public().into();
		UncheckedExtrinsic::new_signed(call, signer.into(), signature.into(), extension).into()
	}
}

impl ExtrinsicBuilder for Builder {
	fn pallet(&self) -> &str {
		self.bench.pallet
	}

	fn extrinsic(&self) -> &str {
		self.bench.extrinsic
	}

	fn build(&self, n: u32) -> Result<OpaqueExtrinsic, &'static str> {
		let pair = signer(self.bench.signers, n)?;
		let nonce = self
			.client
			.runtime_api()
			.account_nonce(self.genesis, pair.public().into())
			.map_err(|_| "reading a signer's nonce in the benchmark's genesis state")?;
		Ok(self.sign(&pair, nonce, (self.bench.call)(n)?))
	}
}

/// `key`'s value in the genesis state, decoded; an error if it is missing.
fn read<T: Decode>(
	client: &FullClient,
	genesis: H256,
	pallet: &str,
	item: &str,
) -> sc_cli::Result<T> {
	let key = StorageKey([twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat());
	let data = client
		.storage(genesis, &key)
		.map_err(|e| format!("reading {pallet}::{item} at genesis: {e}"))?
		.ok_or_else(|| format!("the benchmark's genesis holds no {pallet}::{item}"))?;
	Ok(T::decode(&mut &data.0[..]).map_err(|e| format!("decoding {pallet}::{item}: {e}"))?)
}

/// The inherent data and digest of the block after genesis, as the node would author it: in a
/// later Aura slot than the state's, at a time at least half a slot (the runtime's minimum
/// period) after the state's clock. The benchmark's state comes from a running chain, so its
/// clock and slot are that chain's, not zero.
fn next_block(
	client: &FullClient,
	genesis: H256,
) -> sc_cli::Result<(InherentData, Vec<DigestItem>)> {
	let now: u64 = read(client, genesis, "Timestamp", "Now")?;
	let current_slot: u64 = read(client, genesis, "Aura", "CurrentSlot")?;
	let slot_duration = sc_consensus_aura::slot_duration(client)?.as_millis();
	let slot = (current_slot + 1).max((now + slot_duration / 2).div_ceil(slot_duration));
	let mut inherent_data = InherentData::new();
	inherent_data
		.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * slot_duration))
		.map_err(|e| format!("the timestamp inherent: {e}"))?;
	let digest = DigestItem::PreRuntime(
		sp_consensus_aura::AURA_ENGINE_ID,
		sp_consensus_aura::Slot::from(slot).encode(),
	);
	Ok((inherent_data, vec![digest]))
}

/// Builds the block the benchmark will time, as it builds it (inherents, then transactions until
/// the block is full), and checks that every transaction in it did its work. Returns how many it
/// holds.
fn check_block(
	client: &FullClient,
	builder: &Builder,
	inherent_data: InherentData,
	digest: Vec<DigestItem>,
) -> sc_cli::Result<u32> {
	let chain = client.usage_info().chain;
	let mut block = BlockBuilderBuilder::new(client)
		.on_parent_block(chain.best_hash)
		.with_parent_block_number(chain.best_number)
		.with_inherent_digests(Digest { logs: digest })
		.build()?;
	let inherents = block.create_inherents(inherent_data)?;
	let first = inherents.len() as u32;
	for inherent in inherents {
		block.push(inherent)?;
	}
	let mut count = 0u32;
	loop {
		let next = builder.build(count).map_err(|e| format!("transaction {count}: {e}"))?;
		match block.push(next) {
			Ok(()) => count += 1,
			Err(sp_blockchain::Error::ApplyExtrinsicFailed(
				sp_blockchain::ApplyExtrinsicFailed::Validity(TransactionValidityError::Invalid(
					InvalidTransaction::ExhaustsResources,
				)),
			)) => break,
			Err(e) => {
				return Err(format!(
					"transaction {count} ({}//{count}) is not valid in the benchmark's state: {e}; \
					 does the state hold enough funded accounts? (scripts/benchmark-block.sh)",
					builder.bench.signers
				)
				.into())
			},
		}
	}
	let built = block.build()?;
	let events_key = [twox_128(b"System"), twox_128(b"Events")].concat();
	let events = built
		.storage_changes
		.main_storage_changes
		.iter()
		.find(|(key, _)| *key == events_key)
		.and_then(|(_, value)| value.clone())
		.ok_or("the benchmark's block deposited no events")?;
	let events = Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(&mut &events[..])
		.map_err(|e| format!("decoding the block's events: {e}"))?;
	let mut worked = vec![false; count as usize];
	for record in events {
		if let frame_system::Phase::ApplyExtrinsic(index) = record.phase {
			if index >= first && (builder.bench.did_its_work)(&record.event) {
				worked[(index - first) as usize] = true;
			}
		}
	}
	if let Some(n) = worked.iter().position(|did| !did) {
		return Err(format!(
			"transaction {n} of the {count} in a full block of {}::{} did not do its work in \
			 the benchmark's state (an order that ended unfilled, a failed dispatch): rebuild the \
			 state (scripts/benchmark-block.sh)",
			builder.bench.pallet, builder.bench.extrinsic
		)
		.into());
	}
	Ok(count)
}

/// Runs `benchmark extrinsic` on the chain state `client` opened, with this runtime's blocks.
pub fn extrinsic(cmd: &ExtrinsicCmd, client: Arc<FullClient>) -> sc_cli::Result<()> {
	let chain = client.usage_info().chain;
	if chain.best_hash != chain.genesis_hash {
		return Err("`benchmark extrinsic` builds on genesis: run it on a fresh --base-path".into());
	}
	let builders = BLOCK_BENCHMARKS
		.iter()
		.map(|bench| Builder::new(client.clone(), bench))
		.collect::<sc_cli::Result<Vec<_>>>()?;
	let (inherent_data, digest) = next_block(&client, chain.genesis_hash)?;
	if let (Some(pallet), Some(extrinsic)) = (&cmd.params.pallet, &cmd.params.extrinsic) {
		let chosen = builders.iter().find(|b| {
			b.bench.pallet.eq_ignore_ascii_case(pallet)
				&& b.bench.extrinsic.eq_ignore_ascii_case(extrinsic)
		});
		if let Some(builder) = chosen {
			let count = check_block(&client, builder, inherent_data.clone(), digest.clone())?;
			log::info!(
				"Checked: all {count} {pallet}::{extrinsic} transactions of a full block did their work"
			);
		}
	}
	let factory = ExtrinsicFactory(
		builders.into_iter().map(|b| Box::new(b) as Box<dyn ExtrinsicBuilder>).collect(),
	);
	cmd.run(client, inherent_data, digest, &factory)
}
