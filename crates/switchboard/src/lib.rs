//! The Switchboard binary's library half: configuration, telemetry and startup, so
//! tests start the real application (`App::build` binds first; port 0 works).

pub mod backup;
pub mod bench;
pub mod config;
pub mod demo;
pub mod simulate;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::App;
