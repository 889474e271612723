//! The gateway: `bifrost edge run gateway.toml` — sources, pipelines and sinks from one file.

pub mod config;
pub mod http;
pub mod pipeline;
pub mod run;
pub mod runtime;
pub mod source;

pub use config::GatewayConfig;
pub use pipeline::{Stage, StageContext, StageFactory};
pub use run::{Started, run_file};
pub use runtime::{Gateway, GatewayOptions};
