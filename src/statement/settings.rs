//! A session's settings: the variables drivers read and set, with PostgreSQL's defaults, and
//! the engine's own (`mediasql.*`), as the rewrites read them.

use std::collections::BTreeMap;

use datafusion::common::config::ExtensionOptions;
use datafusion::prelude::SessionContext;

use crate::exec::MediasqlOptions;
use crate::pgcompat::settings::Settings;

/// The settings drivers read at connect time, with PostgreSQL-compatible values.
pub fn default_settings() -> BTreeMap<String, String> {
    [
        ("application_name", ""),
        ("client_encoding", "UTF8"),
        ("client_min_messages", "notice"),
        ("datestyle", "ISO, MDY"),
        ("default_table_access_method", "heap"),
        ("default_transaction_isolation", "read committed"),
        ("default_transaction_read_only", "off"),
        ("extra_float_digits", "1"),
        ("integer_datetimes", "on"),
        ("intervalstyle", "postgres"),
        ("is_superuser", "off"),
        ("lc_collate", "C"),
        ("lc_ctype", "C"),
        ("max_function_args", "100"),
        ("max_identifier_length", "63"),
        ("max_index_keys", "32"),
        ("search_path", "\"$user\", public"),
        ("server_encoding", "UTF8"),
        ("server_version", crate::version::SERVER_VERSION),
        ("server_version_num", crate::version::SERVER_VERSION_NUM),
        ("standard_conforming_strings", "on"),
        ("statement_timeout", "0"),
        ("timezone", "UTC"),
        ("transaction_isolation", "read committed"),
        ("transaction_read_only", "off"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A `mediasql.*` setting's value (DataFusion's SHOW knows only its own).
pub fn engine_setting(ctx: &SessionContext, name: &str) -> Option<String> {
    let key = name.strip_prefix("mediasql.")?;
    let state = ctx.state();
    let options = MediasqlOptions::from_config(state.config_options());
    let entry = options
        .entries()
        .into_iter()
        .find(|e| e.key == key || e.key == name)?;
    Some(entry.value.unwrap_or_default())
}

/// The session's variables, then its engine settings (`mediasql.*`).
pub struct SessionSettings<'a> {
    pub vars: &'a mut BTreeMap<String, String>,
    pub ctx: &'a SessionContext,
}

impl Settings for SessionSettings<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .cloned()
            .or_else(|| engine_setting(self.ctx, name))
    }

    fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }

    fn all(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
