//! The node's services: a dev chain sealed and finalized on demand, or an Aura + GRANDPA
//! validator. Which one follows the chain spec's type: `Development` seals on demand.

use std::{sync::Arc, time::Duration};

use bulkhead_runtime::{apis::RuntimeApi, opaque::Block};
use futures::{stream::BoxStream, StreamExt};
use sc_client_api::BlockBackend;
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_consensus_manual_seal::{
	consensus::aura::AuraConsensusDataProvider, rpc::EngineCommand, ManualSealParams,
};
use sc_service::{
	error::Error as ServiceError, ChainType, Configuration, TaskManager, WarpSyncConfig,
};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::{OffchainTransactionPoolFactory, TransactionPool};
use sp_consensus_aura::{
	sr25519::{AuthorityPair as AuraPair, AuthoritySignature},
	SlotDuration,
};
use sp_runtime::traits::Block as BlockT;

use crate::cli::Sealing;

pub(crate) type FullClient = sc_service::TFullClient<
	Block,
	RuntimeApi,
	sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>,
>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type Hash = <Block as BlockT>::Hash;

/// Blocks between GRANDPA justifications kept for warp sync and light clients.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

type GrandpaImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;

/// Finality for a network; a dev chain finalizes as it seals and has none.
pub type Finality =
	Option<(GrandpaImport, sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>)>;

/// Aura's inherent data at the wall clock: the timestamp and the slot it falls in.
type AuraInherents =
	(sp_consensus_aura::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider);

fn aura_inherents(slot_duration: SlotDuration) -> AuraInherents {
	let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
	let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
		*timestamp,
		slot_duration,
	);
	(slot, timestamp)
}

pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(Finality, Option<Telemetry>),
>;

/// Whether `config` runs a dev chain, sealed on demand rather than by Aura.
pub fn is_dev(config: &Configuration) -> bool {
	config.chain_spec.chain_type() == ChainType::Development
}

/// The client, the database, the pool and an import queue.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<sp_io::SubstrateHostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (import_queue, finality) = if is_dev(config) {
		let import_queue = sc_consensus_manual_seal::import_queue(
			Box::new(client.clone()),
			&task_manager.spawn_essential_handle(),
			config.prometheus_registry(),
		);
		(import_queue, None)
	} else {
		let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
			client.clone(),
			GRANDPA_JUSTIFICATION_PERIOD,
			&client,
			select_chain.clone(),
			telemetry.as_ref().map(|x| x.handle()),
		)?;
		let import_queue = aura_import_queue(
			config,
			&client,
			&task_manager,
			grandpa_block_import.clone(),
			telemetry.as_ref(),
		)?;
		(import_queue, Some((grandpa_block_import, grandpa_link)))
	};

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (finality, telemetry),
	})
}

/// Aura's import queue for a network node, importing through GRANDPA.
fn aura_import_queue(
	config: &Configuration,
	client: &Arc<FullClient>,
	task_manager: &TaskManager,
	grandpa_block_import: GrandpaImport,
	telemetry: Option<&Telemetry>,
) -> Result<sc_consensus::DefaultImportQueue<Block>, ServiceError> {
	let cidp_client = client.clone();
	Ok(sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
		block_import: grandpa_block_import.clone(),
		justification_import: Some(Box::new(grandpa_block_import)),
		client: client.clone(),
		create_inherent_data_providers: move |parent_hash, _| {
			let cidp_client = cidp_client.clone();
			async move {
				let slot_duration =
					sc_consensus_aura::standalone::slot_duration_at(&*cidp_client, parent_hash)?;
				Ok(aura_inherents(slot_duration))
			}
		},
		spawner: &task_manager.spawn_essential_handle(),
		registry: config.prometheus_registry(),
		check_for_equivocation: Default::default(),
		telemetry: telemetry.map(|x| x.handle()),
		compatibility_mode: Default::default(),
	})?)
}

/// A dev block's timestamp: the wall clock, but always at least one slot after the parent,
/// because Aura needs every block in a new slot. Under a burst of blocks the chain's clock
/// runs ahead of the wall clock by a slot per block.
fn dev_timestamp(
	client: &FullClient,
	parent: Hash,
	slot_duration: SlotDuration,
) -> Result<sp_timestamp::Timestamp, Box<dyn std::error::Error + Send + Sync>> {
	let now = sp_timestamp::Timestamp::current();
	let header = client.header(parent)?.ok_or("the parent block's header is missing")?;
	let parent_slot = sc_consensus_aura::find_pre_digest::<Block, AuthoritySignature>(&header)
		.map_err(|e| format!("the parent block has no Aura slot: {e}"))?;
	let next_slot_start = (u64::from(parent_slot) + 1).saturating_mul(slot_duration.as_millis());
	Ok(now.max(next_slot_start.into()))
}

/// Builds and starts a full node.
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
	config: Configuration,
	sealing: Sealing,
	dev_block_time: Option<u64>,
) -> Result<TaskManager, ServiceError> {
	let dev = is_dev(&config);
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (finality, mut telemetry),
	} = new_partial(&config)?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as BlockT>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());
	let peer_store_handle = net_config.peer_store_handle();

	let genesis_hash = client.block_hash(0).ok().flatten().ok_or("the genesis block is missing")?;
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);

	let (grandpa_notification_service, warp_sync_config) = match &finality {
		Some((_, link)) => {
			let (protocol_config, notification_service) =
				sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
					grandpa_protocol_name.clone(),
					metrics.clone(),
					peer_store_handle,
				);
			net_config.add_notification_protocol(protocol_config);
			let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
				backend.clone(),
				link.shared_authority_set().clone(),
				Vec::default(),
			));
			(Some(notification_service), Some(WarpSyncConfig::WithProvider(warp_sync)))
		},
		None => (None, None),
	};

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();

	// A dev chain's engine takes commands from the RPC as well as from the pool.
	let (command_sink, rpc_commands) = if dev {
		let (sink, stream) = futures::channel::mpsc::channel::<EngineCommand<Hash>>(1024);
		(Some(sink), Some(stream))
	} else {
		(None, None)
	};

	let rpc_extensions_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				command_sink: command_sink.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: Arc::new(network.clone()),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	let slot_duration = sc_consensus_aura::slot_duration(&*client)?;
	let proposer_factory = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		prometheus_registry.as_ref(),
		telemetry.as_ref().map(|x| x.handle()),
	);

	if let Some(rpc_commands) = rpc_commands {
		let seal = |create_empty| EngineCommand::SealNewBlock {
			create_empty,
			finalize: true,
			parent_hash: None,
			sender: None,
		};
		let mut streams: Vec<BoxStream<'static, EngineCommand<Hash>>> = vec![rpc_commands.boxed()];
		if sealing == Sealing::Instant {
			streams.push(
				transaction_pool.import_notification_stream().map(move |_| seal(false)).boxed(),
			);
		}
		if let Some(ms) = dev_block_time {
			let interval = Duration::from_millis(ms.max(1));
			streams.push(
				futures::stream::unfold((), move |()| async move {
					futures_timer::Delay::new(interval).await;
					Some((seal(true), ()))
				})
				.boxed(),
			);
		}
		let cidp_client = client.clone();
		let params = ManualSealParams {
			block_import: client.clone(),
			env: proposer_factory,
			client: client.clone(),
			pool: transaction_pool,
			commands_stream: futures::stream::select_all(streams),
			select_chain,
			consensus_data_provider: Some(Box::new(
				AuraConsensusDataProvider::new_with_slot_duration(slot_duration),
			)),
			create_inherent_data_providers: move |parent: Hash, ()| {
				let client = cidp_client.clone();
				async move {
					let timestamp = dev_timestamp(&client, parent, slot_duration)?;
					Ok(sp_timestamp::InherentDataProvider::new(timestamp))
				}
			},
		};
		task_manager.spawn_essential_handle().spawn_blocking(
			"manual-seal",
			Some("block-authoring"),
			sc_consensus_manual_seal::run_manual_seal(params),
		);
		return Ok(task_manager);
	}

	let Some((block_import, grandpa_link)) = finality else {
		return Err(ServiceError::Other("a network node needs GRANDPA".into()));
	};

	if role.is_authority() {
		let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
			StartAuraParams {
				slot_duration,
				client: client.clone(),
				select_chain,
				block_import,
				proposer_factory,
				create_inherent_data_providers: move |_, ()| async move {
					Ok(aura_inherents(slot_duration))
				},
				force_authoring,
				backoff_authoring_blocks: Option::<()>::None,
				keystore: keystore_container.keystore(),
				sync_oracle: sync_service.clone(),
				justification_sync_link: sync_service.clone(),
				block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
				max_block_proposal_slot_portion: None,
				telemetry: telemetry.as_ref().map(|x| x.handle()),
				compatibility_mode: Default::default(),
			},
		)?;
		task_manager
			.spawn_essential_handle()
			.spawn_blocking("aura", Some("block-authoring"), aura);
	}

	if enable_grandpa {
		let keystore = if role.is_authority() { Some(keystore_container.keystore()) } else { None };
		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};
		let notification_service =
			grandpa_notification_service.ok_or("GRANDPA's notification protocol is missing")?;
		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}
