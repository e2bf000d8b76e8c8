//! Stage letters (issue 7): [`blocks`] (what a letter is made of) at the bottom, the landlord's
//! wording ([`templates`]) on it, and [`compose`] on top, filling the wording with an account's
//! figures.

pub mod blocks;
pub mod compose;
pub mod templates;
