//! The `mediasql.*` settings, a DataFusion config extension: `SET mediasql.batch_size = 64`,
//! `SHOW mediasql.device`, read by the planner when it places [`InferenceExec`]s.
//!
//! [`InferenceExec`]: super::InferenceExec

use std::any::Any;
use std::fmt::Display;
use std::str::FromStr;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion::common::{DataFusionError, Result};
use mediasql_udfs::models::Device;

use crate::cache::CacheMode;

/// mediasql's session settings.
///
/// Written out rather than made by DataFusion's `extensions_options!`, whose entries lack
/// the `mediasql.` prefix: settings travel to a cluster's scheduler and executors as their
/// entries, and a key without its prefix is dropped there.
#[derive(Debug, Clone, PartialEq)]
pub struct MediasqlOptions {
    /// Rows per model call; 0 = each model's own batch size.
    pub batch_size: usize,
    /// Batches each inference operator holds preparing, prepared, queued for or on its
    /// model, over all its partitions (each may always hold one).
    pub max_batches_in_flight: usize,
    /// Where models run: the server's device ('cpu', or 'cuda' for a server started with
    /// `--device cuda` from a build with the `cuda` feature).
    pub device: String,
    /// Plan model calls into InferenceExec; false runs them inside the scalar calls (for
    /// comparison: the same results, without the operator's batching and overlap).
    pub inference_exec: bool,
    /// Seconds between progress NOTICEs of a model query over the wire; 0 = none.
    pub progress_interval: f64,
    /// The inference cache: 'on' (read and write), 'off', 'refresh' (compute, overwrite).
    pub inference_cache: String,
}

impl Default for MediasqlOptions {
    fn default() -> Self {
        Self {
            batch_size: 0,
            max_batches_in_flight: 2,
            device: "cpu".to_string(),
            inference_exec: true,
            progress_interval: 5.0,
            inference_cache: "on".to_string(),
        }
    }
}

impl ConfigExtension for MediasqlOptions {
    const PREFIX: &'static str = "mediasql";
}

fn parsed<T: FromStr>(key: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| {
        DataFusionError::Configuration(format!("invalid value for mediasql.{key}: '{value}'"))
    })
}

fn entry(key: &str, value: impl Display, description: &'static str) -> ConfigEntry {
    ConfigEntry {
        key: format!("{}.{key}", MediasqlOptions::PREFIX),
        value: Some(value.to_string()),
        description,
    }
}

impl ExtensionOptions for MediasqlOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key = key.strip_prefix("mediasql.").unwrap_or(key);
        match key {
            "batch_size" => self.batch_size = parsed(key, value)?,
            "max_batches_in_flight" => self.max_batches_in_flight = parsed(key, value)?,
            "device" => self.device = value.to_string(),
            "inference_exec" => {
                self.inference_exec = parsed(key, &value.to_ascii_lowercase())?;
            }
            "progress_interval" => self.progress_interval = parsed(key, value)?,
            "inference_cache" => match CacheMode::parse(value) {
                Some(_) => self.inference_cache = value.trim().to_ascii_lowercase(),
                None => {
                    return Err(DataFusionError::Configuration(format!(
                        "invalid value for mediasql.inference_cache: '{value}' \
                         (expected 'on', 'off' or 'refresh')"
                    )));
                }
            },
            other => {
                return Err(DataFusionError::Configuration(format!(
                    "unrecognized configuration parameter \"mediasql.{other}\""
                )));
            }
        }
        Ok(())
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        vec![
            entry(
                "batch_size",
                self.batch_size,
                "Rows per model call; 0 = each model's own",
            ),
            entry(
                "max_batches_in_flight",
                self.max_batches_in_flight,
                "Prepared batches each inference operator keeps ahead of its model, shared among its partitions",
            ),
            entry("device", &self.device, "Where models run (cpu, cuda)"),
            entry(
                "inference_exec",
                self.inference_exec,
                "Plan model calls into InferenceExec",
            ),
            entry(
                "progress_interval",
                self.progress_interval,
                "Seconds between progress NOTICEs; 0 = none",
            ),
            entry(
                "inference_cache",
                &self.inference_cache,
                "Model results kept by content: on, off, refresh",
            ),
        ]
    }
}

impl MediasqlOptions {
    /// The settings of `config` (defaults when the extension is not registered).
    pub fn from_config(config: &ConfigOptions) -> Self {
        config.extensions.get::<Self>().cloned().unwrap_or_default()
    }

    /// What `mediasql.inference_cache` asks (validated when set; `on` otherwise).
    pub fn cache_mode(&self) -> CacheMode {
        CacheMode::parse(&self.inference_cache).unwrap_or(CacheMode::On)
    }

    /// The device asked for, checked against what this build supports.
    pub fn checked_device(&self) -> Result<Device> {
        Device::parse(&self.device)
            .map_err(|e| DataFusionError::Plan(format!("mediasql.device: {}", e.message())))
    }
}
