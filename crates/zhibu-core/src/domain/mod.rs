//! The records a branch keeps. Each record type here is the body of a versioned record: storage
//! adds the identity and history (see [`Stored`]).

mod committee;
mod exemption;
mod ids;
mod meeting;
mod meeting_plan;
mod member;
mod org;
mod record;
mod statement;
mod talk;

pub use committee::*;
pub use exemption::*;
pub use ids::*;
pub use meeting::*;
pub use meeting_plan::*;
pub use member::*;
pub use org::*;
pub use record::*;
pub use statement::*;
pub use talk::*;
