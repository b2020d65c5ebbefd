//! Roles: the users of the config file in `pg_roles`, and `pg_user`, the view of them that
//! pgAdmin reads on connect (`SELECT ... FROM pg_catalog.pg_user WHERE usename =
//! current_user`).
//!
//! Users can log in and are not superusers: they read what the media roots allow and write
//! nothing unless the config allows writes. With `auth = "trust"`, where any name logs in, a
//! name is a role from its first login on: in PostgreSQL the session user always is one, and
//! pgAdmin reads its own role's row on connect (`is_superuser`, `can_create_db`...).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::common::Result;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{LogicalPlanBuilder, cast, col, lit};
use datafusion_pg_catalog::pg_catalog::context::{PgCatalogContextProvider, Role};

/// The configured users and the names logged in, as datafusion-pg-catalog's `pg_roles` asks
/// for them.
#[derive(Debug, Clone)]
pub struct ConfiguredRoles {
    names: Arc<Mutex<BTreeSet<String>>>,
}

impl ConfiguredRoles {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        Self {
            names: Arc::new(Mutex::new(names.into_iter().collect())),
        }
    }

    /// Makes `name`, which has logged in, a role.
    pub fn admit(&self, name: &str) {
        if let Ok(mut names) = self.names.lock()
            && !names.contains(name)
        {
            names.insert(name.to_string());
        }
    }

    fn names(&self) -> Vec<String> {
        self.names
            .lock()
            .map(|names| names.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl PgCatalogContextProvider for ConfiguredRoles {
    async fn roles(&self) -> Vec<String> {
        self.names()
    }

    async fn role(&self, name: &str) -> Option<Role> {
        self.names()
            .into_iter()
            .find(|n| n == name)
            .map(|name| Role {
                name,
                is_superuser: false,
                can_login: true,
                can_create_db: false,
                can_create_role: false,
                can_create_user: false,
                can_replication: false,
                grants: Vec::new(),
                inherited_roles: Vec::new(),
            })
    }
}

/// `pg_user` over `pg_roles`: the roles that can log in, under pg_user's column names.
pub fn pg_user(pg_roles: Arc<dyn TableProvider>) -> Result<Arc<dyn TableProvider>> {
    let columns = [
        (col("rolname"), "usename"),
        (col("oid"), "usesysid"),
        (col("rolcreatedb"), "usecreatedb"),
        (col("rolsuper"), "usesuper"),
        (col("rolreplication"), "userepl"),
        (col("rolbypassrls"), "usebypassrls"),
        (cast(lit("********"), DataType::Utf8), "passwd"),
        (col("rolvaliduntil"), "valuntil"),
        (col("rolconfig"), "useconfig"),
    ];
    let plan = LogicalPlanBuilder::scan("pg_roles", provider_as_source(pg_roles), None)?
        .filter(col("rolcanlogin"))?
        .project(columns.map(|(expr, name)| expr.alias(name)))?
        .build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
}
