//! The permission matrix: every privileged call of the four Bulkhead pallets, dispatched from
//! every kind of origin the runtime knows (root, a guardian, any other signed account, none),
//! on the real runtime. Exactly the intended origins pass; every other one is refused with a
//! typed error and leaves storage exactly as it was.
//!
//! In this runtime the admin, governance and reset origins are root; the breaker's guardian
//! origin is root or a member of `Guardians`; gateway approvals and vetoes come from signed
//! guardians only.

use crate::common;

use bulkhead_runtime::{
	genesis_config_presets::{demo_risk, demo_route, oracle_key},
	CircuitBreaker, CollateralSilos, Gateway, Runtime, RuntimeCall, RuntimeOrigin,
};
use common::*;
use frame_support::{assert_ok, dispatch::GetDispatchInfo, traits::UnfilteredDispatchable};
use pallet_circuit_breaker::Thresholds;
use sp_runtime::{DispatchError, StateVersion};

/// The kinds of origin a call can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
	Root,
	/// Bob: a guardian, and nothing more (Alice also holds the sudo key).
	Guardian,
	/// Dave: signed, and nothing more.
	Signed,
	Unsigned,
}

const EVERYONE: [Who; 4] = [Who::Root, Who::Guardian, Who::Signed, Who::Unsigned];

fn origin(who: Who) -> RuntimeOrigin {
	match who {
		Who::Root => RuntimeOrigin::root(),
		Who::Guardian => signed(&bob()),
		Who::Signed => signed(&dave()),
		Who::Unsigned => RuntimeOrigin::none(),
	}
}

/// A silo and segment id no preset uses.
const NEW: u32 = 10;

/// A large transfer from Ferdie, pending on the BTC -> ETH route: its id.
fn pending_transfer() -> u64 {
	assert_ok!(CollateralSilos::deposit_margin(signed(&ferdie()), BTC, usdc(50_000)));
	let route = pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).expect("demo route");
	let id = pallet_gateway::NextTransferId::<Runtime>::get();
	assert_ok!(Gateway::request_transfer(signed(&ferdie()), route, usdc(20_000)));
	id
}

/// One privileged call: how to set it up, the call, and who may make it.
struct Case {
	name: &'static str,
	setup: fn() -> RuntimeCall,
	allowed: &'static [Who],
	/// What a signed account that is not allowed (a guardian or anyone) gets, when it is not
	/// `BadOrigin`.
	signed_error: Option<DispatchError>,
}

fn cases() -> Vec<Case> {
	use pallet_circuit_breaker::Call as Breaker;
	use pallet_collateral_silos::Call as Silos;
	use pallet_execution_segments::Call as Segments;
	use pallet_gateway::Call as GatewayCall;
	let root_only: &'static [Who] = &[Who::Root];
	let not_guardian = Some(pallet_gateway::Error::<Runtime>::NotGuardian.into());
	vec![
		Case {
			name: "CollateralSilos::create_silo",
			setup: || {
				RuntimeCall::CollateralSilos(Silos::create_silo {
					silo: NEW,
					segment: NEW,
					asset: USDC,
					deposit_cap: usdc(1_000_000),
					min_deposit: usdc(10),
				})
			},
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "CollateralSilos::set_silo_params",
			setup: || {
				RuntimeCall::CollateralSilos(Silos::set_silo_params {
					silo: BTC,
					deposit_cap: usdc(1),
					min_deposit: usdc(10),
					status: pallet_collateral_silos::SiloStatus::Frozen,
				})
			},
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "ExecutionSegments::create_segment",
			setup: || {
				assert_ok!(CollateralSilos::create_silo(
					RuntimeOrigin::root(),
					NEW,
					NEW,
					USDC,
					usdc(1_000_000),
					usdc(10)
				));
				RuntimeCall::ExecutionSegments(Segments::create_segment {
					segment: NEW,
					silo: NEW,
					oracle_key: oracle_key(b"NEW/USD"),
					risk: demo_risk(),
				})
			},
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "ExecutionSegments::set_risk_params",
			setup: || {
				let mut risk = demo_risk();
				risk.max_leverage = 2;
				RuntimeCall::ExecutionSegments(Segments::set_risk_params { segment: BTC, risk })
			},
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "CollateralSilos::cancel_exit",
			setup: || {
				// Only the exit's owner may take it back: nobody in the matrix is Ferdie. Her
				// margin is all profit (no principal on record) and BTC's line is closed, so it
				// must queue.
				assert_ok!(CollateralSilos::deposit_margin(signed(&ferdie()), BTC, usdc(100)));
				pallet_collateral_silos::Accounts::<Runtime>::mutate(BTC, ferdie(), |account| {
					account.flow = Default::default()
				});
				assert_ok!(CircuitBreaker::trip(RuntimeOrigin::root(), BTC));
				assert_ok!(CollateralSilos::queue_exit(
					signed(&ferdie()),
					BTC,
					pallet_collateral_silos::ExitRequest::Margin(usdc(100))
				));
				RuntimeCall::CollateralSilos(Silos::cancel_exit { silo: BTC, index: 0 })
			},
			allowed: &[],
			signed_error: Some(pallet_collateral_silos::Error::<Runtime>::NotExitOwner.into()),
		},
		Case {
			name: "Gateway::open_route",
			setup: || {
				RuntimeCall::Gateway(GatewayCall::open_route {
					from: BTC,
					to: DOT,
					limits: demo_route(),
				})
			},
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "Gateway::close_route",
			setup: || RuntimeCall::Gateway(GatewayCall::close_route { route: 0 }),
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "Gateway::set_approval_threshold",
			setup: || RuntimeCall::Gateway(GatewayCall::set_approval_threshold { threshold: 3 }),
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "Gateway::approve_transfer",
			setup: || {
				RuntimeCall::Gateway(GatewayCall::approve_transfer { transfer: pending_transfer() })
			},
			allowed: &[Who::Guardian],
			signed_error: not_guardian,
		},
		Case {
			name: "Gateway::veto_transfer",
			setup: || {
				RuntimeCall::Gateway(GatewayCall::veto_transfer { transfer: pending_transfer() })
			},
			allowed: &[Who::Guardian],
			signed_error: not_guardian,
		},
		Case {
			name: "CircuitBreaker::set_thresholds",
			setup: || {
				let thresholds: Thresholds<_> = CircuitBreaker::breaker(BTC).thresholds;
				RuntimeCall::CircuitBreaker(Breaker::set_thresholds { segment: BTC, thresholds })
			},
			allowed: root_only,
			signed_error: None,
		},
		Case {
			name: "CircuitBreaker::trip",
			setup: || RuntimeCall::CircuitBreaker(Breaker::trip { segment: BTC }),
			allowed: &[Who::Root, Who::Guardian],
			signed_error: None,
		},
		Case {
			name: "CircuitBreaker::reset",
			setup: || {
				assert_ok!(CircuitBreaker::trip(RuntimeOrigin::root(), BTC));
				RuntimeCall::CircuitBreaker(Breaker::reset { segment: BTC })
			},
			allowed: root_only,
			signed_error: None,
		},
	]
}

#[test]
fn only_the_intended_origins_pass_every_privileged_call() {
	let mut checked = 0;
	for case in cases() {
		for who in EVERYONE {
			run(|| {
				feed_genesis_prices();
				let call = (case.setup)();
				// Weighed like every call: the matrix covers only calls a block can carry.
				assert!(call.get_dispatch_info().call_weight.ref_time() > 0, "{}", case.name);
				let root_before = sp_io::storage::root(StateVersion::V1);
				let result = call.dispatch_bypass_filter(origin(who));
				if case.allowed.contains(&who) {
					assert!(result.is_ok(), "{} from {who:?}: {result:?}", case.name);
				} else {
					let expected = match (who, &case.signed_error) {
						(Who::Signed | Who::Guardian, Some(error)) => *error,
						_ => DispatchError::BadOrigin,
					};
					assert_eq!(
						result.map_err(|e| e.error),
						Err(expected),
						"{} from {who:?}",
						case.name
					);
					assert_eq!(
						sp_io::storage::root(StateVersion::V1),
						root_before,
						"{} from {who:?} changed storage",
						case.name
					);
				}
			});
			checked += 1;
		}
	}
	assert_eq!(checked, 13 * EVERYONE.len());
}
