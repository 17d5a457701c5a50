//! `TailnetSettings`: one tailnet's settings as plain data (the store keeps them with the
//! tailnet; `settings` serves them), with the strict reading of a PATCH field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The routing choices (`routeSelection`).
const ROUTE_SELECTIONS: [&str; 3] = [
    "active-passive-failover",
    "regional-routing",
    "regional-routing-failover",
];

/// The roles that may join external tailnets.
const JOIN_ROLES: [&str; 3] = ["none", "admin", "member"];

/// A tailnet's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TailnetSettings {
    pub acls_externally_managed_on: bool,
    pub acls_external_link: String,
    pub devices_approval_on: bool,
    pub devices_auto_updates_on: bool,
    pub devices_key_duration_days: u64,
    pub users_approval_on: bool,
    pub users_role_allowed_to_join_external_tailnets: String,
    pub network_flow_logging_on: bool,
    pub posture_identity_collection_on: bool,
    pub https_enabled: bool,
    pub route_selection: String,
}

impl Default for TailnetSettings {
    fn default() -> Self {
        Self {
            acls_externally_managed_on: false,
            acls_external_link: String::new(),
            devices_approval_on: false,
            devices_auto_updates_on: false,
            devices_key_duration_days: 180,
            users_approval_on: false,
            users_role_allowed_to_join_external_tailnets: "none".into(),
            network_flow_logging_on: false,
            posture_identity_collection_on: false,
            https_enabled: false,
            route_selection: ROUTE_SELECTIONS[0].into(),
        }
    }
}

impl TailnetSettings {
    /// Every field as the API shows it (`regionalRoutingOn` derived from `routeSelection`).
    pub fn to_map(&self) -> Map<String, Value> {
        let Value::Object(mut map) = serde_json::to_value(self).unwrap_or_else(|_| json!({}))
        else {
            return Map::new();
        };
        map.insert(
            "regionalRoutingOn".into(),
            Value::Bool(self.route_selection.starts_with("regional-routing")),
        );
        map
    }

    /// Sets one field from a PATCH; `Err` names what is wrong.
    pub fn set(&mut self, field: &str, value: &Value) -> Result<(), String> {
        let flag = |v: &Value| {
            v.as_bool()
                .ok_or_else(|| format!("`{field}` must be a boolean"))
        };
        match field {
            "aclsExternallyManagedOn" => self.acls_externally_managed_on = flag(value)?,
            "aclsExternalLink" => {
                self.acls_external_link = value
                    .as_str()
                    .ok_or_else(|| format!("`{field}` must be a string"))?
                    .to_owned();
            }
            "devicesApprovalOn" => self.devices_approval_on = flag(value)?,
            "devicesAutoUpdatesOn" => self.devices_auto_updates_on = flag(value)?,
            "usersApprovalOn" => self.users_approval_on = flag(value)?,
            "networkFlowLoggingOn" => self.network_flow_logging_on = flag(value)?,
            "postureIdentityCollectionOn" => self.posture_identity_collection_on = flag(value)?,
            "httpsEnabled" => self.https_enabled = flag(value)?,
            "devicesKeyDurationDays" => {
                self.devices_key_duration_days =
                    value
                        .as_u64()
                        .filter(|d| (1..=180).contains(d))
                        .ok_or_else(|| format!("`{field}` must be a whole number from 1 to 180"))?;
            }
            "usersRoleAllowedToJoinExternalTailnets" => {
                self.users_role_allowed_to_join_external_tailnets =
                    choice(field, value, &JOIN_ROLES)?;
            }
            "routeSelection" => self.route_selection = choice(field, value, &ROUTE_SELECTIONS)?,
            "regionalRoutingOn" => {
                return Err("`regionalRoutingOn` is read-only; set `routeSelection`".into());
            }
            other => return Err(format!("unknown field `{other}`")),
        }
        Ok(())
    }
}

fn choice(field: &str, value: &Value, known: &[&str]) -> Result<String, String> {
    value
        .as_str()
        .filter(|v| known.contains(v))
        .map(str::to_owned)
        .ok_or_else(|| format!("`{field}` must be one of {}", known.join(", ")))
}
