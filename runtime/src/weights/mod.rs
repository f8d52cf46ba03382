//! Database weights for the runtime. Per-call weights live with each pallet (`weights.rs`).

/// Blocks are stored in ParityDB: its read and write costs are what every storage access is
/// charged.
pub use frame_support::weights::constants::ParityDbWeight as DbWeight;
