//! The runtime's weights. The Bulkhead pallets' call weights live with each pallet
//! (`weights.rs`); these are the Substrate pallets' weights as measured in this runtime, the
//! transaction extensions' (what every signed transaction pays beside its call), and what
//! every block and every extrinsic costs before any call (`benchmark overhead`), all generated
//! by `scripts/benchmark.sh` (never edit them); and the database weights, measured on a busy
//! chain's state by `scripts/benchmark-storage.sh`.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system;
pub mod frame_system_extensions;
pub mod pallet_assets;
pub mod pallet_balances;
pub mod pallet_membership;
pub mod pallet_oracle;
pub mod pallet_sudo;
pub mod pallet_timestamp;
pub mod pallet_transaction_payment;
pub mod paritydb_weights;

/// Blocks are stored in ParityDB: its read and write costs, as measured on this machine, are
/// what every storage access is charged.
pub use paritydb_weights::ParityDbWeight as DbWeight;
