//! Possession (docs/possession.md#letters): from the first letter to the warrant. [`types`] (stages, actions,
//! notice kinds, grounds) and [`order`] (what the court ordered) at the bottom; then the
//! Pre-Action Protocol's gates and the notices ([`protocol`]); the court process ([`court`]);
//! and the recommendation of what to do next ([`next_step`]) on top. Each module uses only
//! those listed before it.

pub mod court;
pub mod debt_claim;
pub mod next_step;
pub mod order;
pub mod protocol;
pub mod step;
pub mod types;
