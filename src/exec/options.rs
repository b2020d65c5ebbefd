//! The `mediasql.*` settings, a DataFusion config extension: `SET mediasql.batch_size = 64`,
//! `SHOW mediasql.device`, read by the planner when it places [`InferenceExec`]s.
//!
//! [`InferenceExec`]: super::InferenceExec

use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::{DataFusionError, Result, extensions_options};
use mediasql_udfs::models::Device;

extensions_options! {
    /// mediasql's session settings.
    pub struct MediasqlOptions {
        /// Rows per model call; 0 = each model's own batch size.
        pub batch_size: usize, default = 0
        /// Prepared batches each inference operator keeps ahead of its model.
        pub max_batches_in_flight: usize, default = 2
        /// Where models run: the server's device ('cpu', or 'cuda' for a server started
        /// with `--device cuda` from a build with the `cuda` feature).
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

impl MediasqlOptions {
    /// The settings of `config` (defaults when the extension is not registered).
    pub fn from_config(config: &ConfigOptions) -> Self {
        config.extensions.get::<Self>().cloned().unwrap_or_default()
    }

    /// The device asked for, checked against what this build supports.
    pub fn checked_device(&self) -> Result<Device> {
        Device::parse(&self.device)
            .map_err(|e| DataFusionError::Plan(format!("mediasql.device: {}", e.message())))
    }
}
