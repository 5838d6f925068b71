//! Helpers shared by the end-to-end tests and the benchmarks: simulated tenants, inventories
//! pointing at them, and secrets on disk, so that every probe runs the real code path
//! (inventory parser, file secret source, SFMC client over HTTP).

pub mod aws;
pub mod cli;
pub mod function_url;
pub mod lambda;
pub mod proxy;
pub mod slack;
pub mod sns;
pub mod stack;
pub mod streams;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use credwatch::inventory::{Inventory, LoadOptions, parse_inventory};
use credwatch_sim::{ClientConfig, Simulator};

/// A scratch directory removed on drop.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new empty directory under the system temp dir, named after `label` and unique.
    pub fn new(label: &str) -> Scratch {
        let path = std::env::temp_dir().join(aws::unique_name(&format!("credwatch-{label}")));
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Scratch { path }
    }

    /// Where the directory is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One integration to put in a generated inventory.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The integration id.
    pub id: String,
    /// Its SFMC client id.
    pub client_id: String,
    /// The secret the integration holds (written to a file the inventory points at).
    pub secret: String,
    /// The MID of the business unit to ask for, if any.
    pub account_id: Option<u64>,
    /// The scopes the inventory expects.
    pub expected_scopes: Vec<String>,
    /// Base URL of the simulator that plays this integration's tenant.
    pub auth_url: String,
    /// Read the secret from this Secrets Manager secret (JSON field `client_secret`) instead of
    /// a file.
    pub aws_secret: Option<String>,
}

impl Spec {
    /// An integration whose client exists in `sim` with `config`, holding the valid secret.
    pub fn on(sim: &Simulator, id: &str, config: &ClientConfig) -> Spec {
        let client_id = format!("{id}-client");
        sim.set_client(&client_id, config.clone());
        Spec {
            id: id.to_string(),
            client_id,
            secret: config.secret.clone(),
            account_id: Some(config.mid),
            expected_scopes: config.scopes.clone(),
            auth_url: sim.base_url(),
            aws_secret: None,
        }
    }

    /// The same integration, reading its secret from Secrets Manager secret `id`.
    pub fn with_aws_secret(mut self, id: &str) -> Spec {
        self.aws_secret = Some(id.to_string());
        self
    }
}

/// Writes each spec's secret to a file under `dir` and returns inventory YAML for them.
pub fn inventory_yaml(dir: &Path, specs: &[Spec]) -> String {
    let mut yaml = String::from(
        "version: 1\nteams:\n  - id: marketing-ops\n    name: Marketing Operations\nintegrations:\n",
    );
    for spec in specs {
        let source = match &spec.aws_secret {
            Some(id) => format!("{{ aws_secret: \"{id}\", key: client_secret }}"),
            None => {
                let secret_path = dir.join(format!("{}.secret", spec.id));
                std::fs::write(&secret_path, &spec.secret).expect("write secret file");
                format!("{{ file: \"{}\" }}", secret_path.display())
            }
        };
        let _ = write!(
            yaml,
            "  - id: {id}\n    name: {id} integration\n    owner: marketing-ops\n    severity: high\n    auth_url: {url}\n    client_id: {client}\n    client_secret: {source}\n",
            id = spec.id,
            url = spec.auth_url,
            client = spec.client_id,
        );
        if let Some(mid) = spec.account_id {
            let _ = writeln!(yaml, "    account_id: {mid}");
        }
        if !spec.expected_scopes.is_empty() {
            let _ = writeln!(
                yaml,
                "    expected_scopes: [{}]",
                spec.expected_scopes.join(", ")
            );
        }
    }
    yaml
}

/// Parses generated YAML with simulator endpoints allowed.
pub fn inventory(dir: &Path, specs: &[Spec]) -> Inventory {
    let yaml = inventory_yaml(dir, specs);
    match parse_inventory(
        &yaml,
        &LoadOptions {
            allow_any_endpoint: true,
        },
    ) {
        Ok(loaded) => loaded.inventory,
        Err(invalid) => panic!("generated inventory is invalid: {invalid}"),
    }
}

/// Scopes a typical data-sync integration holds.
pub const SYNC_SCOPES: &[&str] = &[
    "data_extensions_read",
    "data_extensions_write",
    "journeys_read",
];
