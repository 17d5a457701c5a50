//! `Settings`: the tailnet settings a manifest sets (`settings:`). Only the fields written are
//! managed: each is compared with what the API reads back and, when it differs, PATCHed alone;
//! a field the credentials cannot read is unknown, never a change. Settings cannot be deleted,
//! so a removed block only stops tailform managing them.

use std::collections::BTreeMap;
use std::fmt;

use super::Origin;

/// One tailnet setting tailform manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    /// `devicesApprovalOn`: new devices need an admin's approval.
    DevicesApprovalOn,
    /// `devicesAutoUpdatesOn`: clients update themselves.
    DevicesAutoUpdatesOn,
    /// `devicesKeyDurationDays`: node key expiry, 1 to 180 days.
    DevicesKeyDurationDays,
    /// `usersApprovalOn`: new users need an admin's approval.
    UsersApprovalOn,
    /// `usersRoleAllowedToJoinExternalTailnets`: `none`, `admin` or `member`.
    UsersRoleAllowedToJoinExternalTailnets,
    /// `networkFlowLoggingOn`: network flow logs.
    NetworkFlowLoggingOn,
    /// `postureIdentityCollectionOn`: device posture identity collection.
    PostureIdentityCollectionOn,
    /// `httpsEnabled`: HTTPS certificates for MagicDNS names.
    HttpsEnabled,
    /// `routeSelection`: how subnet routers are chosen.
    RouteSelection,
}

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingType {
    /// `true` or `false`.
    Bool,
    /// A whole number in this inclusive range.
    Number(u64, u64),
    /// One of these strings.
    Choice(&'static [&'static str]),
}

impl Setting {
    /// Every managed setting.
    pub const ALL: [Setting; 9] = [
        Setting::DevicesApprovalOn,
        Setting::DevicesAutoUpdatesOn,
        Setting::DevicesKeyDurationDays,
        Setting::UsersApprovalOn,
        Setting::UsersRoleAllowedToJoinExternalTailnets,
        Setting::NetworkFlowLoggingOn,
        Setting::PostureIdentityCollectionOn,
        Setting::HttpsEnabled,
        Setting::RouteSelection,
    ];

    /// The manifest's and the API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DevicesApprovalOn => "devicesApprovalOn",
            Self::DevicesAutoUpdatesOn => "devicesAutoUpdatesOn",
            Self::DevicesKeyDurationDays => "devicesKeyDurationDays",
            Self::UsersApprovalOn => "usersApprovalOn",
            Self::UsersRoleAllowedToJoinExternalTailnets => {
                "usersRoleAllowedToJoinExternalTailnets"
            }
            Self::NetworkFlowLoggingOn => "networkFlowLoggingOn",
            Self::PostureIdentityCollectionOn => "postureIdentityCollectionOn",
            Self::HttpsEnabled => "httpsEnabled",
            Self::RouteSelection => "routeSelection",
        }
    }

    /// Parses the name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Its values.
    pub fn kind(self) -> SettingType {
        match self {
            Self::DevicesKeyDurationDays => SettingType::Number(1, 180),
            Self::UsersRoleAllowedToJoinExternalTailnets => {
                SettingType::Choice(&["none", "admin", "member"])
            }
            Self::RouteSelection => SettingType::Choice(&[
                "active-passive-failover",
                "regional-routing",
                "regional-routing-failover",
            ]),
            _ => SettingType::Bool,
        }
    }

    /// The scope that reads it (a token without it sees the field absent).
    pub fn read_scope(self) -> &'static str {
        match self {
            Self::NetworkFlowLoggingOn => "logs:network:read",
            Self::HttpsEnabled => "networking_settings:read",
            _ => "feature_settings:read",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Setting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Setting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Setting::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a tailnet setting")))
    }
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum SettingValue {
    /// A flag.
    Bool(bool),
    /// A number.
    Number(u64),
    /// A choice.
    Choice(String),
}

impl SettingValue {
    /// As JSON (what the API sends and takes).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Number(n) => serde_json::Value::from(*n),
            Self::Choice(s) => serde_json::Value::String(s.clone()),
        }
    }

    /// True when the API's `value` is this value (numbers compared as numbers).
    pub fn matches(&self, value: &serde_json::Value) -> bool {
        match self {
            Self::Bool(b) => value.as_bool() == Some(*b),
            Self::Number(n) => value
                .as_f64()
                .is_some_and(|v| (v - *n as f64).abs() < f64::EPSILON),
            Self::Choice(s) => value.as_str() == Some(s),
        }
    }
}

/// The settings a manifest sets for a tailnet.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where the block is.
    pub origin: Origin,
    /// The fields set, and their values.
    pub values: BTreeMap<Setting, SettingValue>,
}
