//! The `mediasql.*` settings, a DataFusion config extension: `SET mediasql.batch_size = 64`,
//! `SHOW mediasql.device`, read by the planner when it places [`InferenceExec`]s.
//!
//! [`InferenceExec`]: super::InferenceExec

use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::{Result, extensions_options, plan_err};

extensions_options! {
    /// mediasql's session settings.
    pub struct MediasqlOptions {
        /// Rows per model call; 0 = each model's own batch size.
        pub batch_size: usize, default = 0
        /// Prepared batches each inference operator keeps ahead of its model.
        pub max_batches_in_flight: usize, default = 2
        /// Where models run: 'cpu' (builds with the `cuda` feature add 'cuda').
        pub device: String, default = "cpu".to_string()
        /// Plan model calls into InferenceExec; false runs them inside the scalar calls
        /// (for comparison: the same results, without the operator's batching and overlap).
        pub inference_exec: bool, default = true
        /// Seconds between progress NOTICEs of a model query over the wire; 0 = none.
        pub progress_interval: f64, default = 5.0
    }
}

impl ConfigExtension for MediasqlOptions {
    const PREFIX: &'static str = "mediasql";
}

/// The devices this build can run models on.
pub const DEVICES: &[&str] = &["cpu"];

impl MediasqlOptions {
    /// The settings of `config` (defaults when the extension is not registered).
    pub fn from_config(config: &ConfigOptions) -> Self {
        config.extensions.get::<Self>().cloned().unwrap_or_default()
    }

    /// The device, checked against what this build supports.
    pub fn checked_device(&self) -> Result<&str> {
        let device = self.device.trim();
        if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(device)) {
            return Ok(device);
        }
        plan_err!(
            "mediasql.device '{device}' is not available in this build (devices: {})",
            DEVICES.join(", ")
        )
    }
}
