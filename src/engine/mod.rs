//! The run engine: what a run *is* and how it goes, in native Rust, once.
//!
//! - [`spec`]: [`RunSpec`], the one serialisable description of a run (config, schedule
//!   of mid-run changes, pause step, stop-when-grokked), and its form as a link;
//! - [`run`]: [`Run`], the driver that steps a spec, applies its schedule, keeps frames,
//!   hands out snapshots and decides when to stop ([`Stop`]);
//! - [`snapshot`]: what a run hands the page ([`Snapshot`]) and the page's accumulated
//!   copy ([`RunView`]);
//! - [`split`]: the protocol by which several workers share each step through shared
//!   memory, bit-identically;
//! - [`pacer`]: how many steps a worker takes between yields.
//!
//! The page's workers, the phase diagram, `grok train`/`grok sweep` and the tests all go
//! through [`Run`]; the web layer only binds it to JavaScript. docs/ARCHITECTURE.md shows
//! the data flow.

pub mod pacer;
pub mod run;
pub mod snapshot;
pub mod spec;
pub mod split;

pub use pacer::Pacer;
pub use run::{Advance, Run, StepError, Stop};
pub use snapshot::{Ablation, Circle, EmbeddingFrame, RunView, Snapshot};
pub use spec::{to_query, Change, ChangeKind, Link, RunSpec, SpecError};
