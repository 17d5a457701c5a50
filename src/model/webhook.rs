//! `Webhook`: a desired webhook endpoint of a tailnet — where the API posts events
//! (`endpointUrl`), in which format (`providerType`), which events (`subscriptions`), and how
//! often its signing secret is rotated (`rotateEvery`). The URL and the provider type are fixed
//! at creation (a change is a replace); the subscriptions update in place (PATCH); the secret
//! is shown once, on create and on every rotation, and delivered like any other.

use std::collections::BTreeSet;
use std::fmt;

use super::{Delivery, Duration, EnvName, Name, Origin};

/// A desired webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Logical name (address segment).
    pub name: Name,
    /// Where it is declared.
    pub origin: Origin,
    /// Where events are posted: an `https://` URL with a host.
    pub endpoint_url: String,
    /// The message format.
    pub provider_type: ProviderType,
    /// The events posted; never empty.
    pub subscriptions: BTreeSet<Subscription>,
    /// Rotate the signing secret once it is this old.
    pub rotate_every: Option<Duration>,
    /// Where its secret is delivered after a create or rotation.
    pub deliver: Vec<Delivery>,
    /// Variable name for `output --format env` (derived from the address when absent).
    pub env_name: Option<EnvName>,
}

/// The format the API posts events in (`providerType`): Tailscale's own JSON, or a chat
/// service's message shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ProviderType {
    /// Tailscale's JSON event array (the API's empty `providerType`).
    #[default]
    None,
    /// Slack.
    Slack,
    /// Mattermost.
    Mattermost,
    /// Google Chat.
    GoogleChat,
    /// Discord.
    Discord,
}

impl ProviderType {
    /// Every provider type, in the manifest's spelling.
    pub const ALL: [ProviderType; 5] = [
        ProviderType::None,
        ProviderType::Slack,
        ProviderType::Mattermost,
        ProviderType::GoogleChat,
        ProviderType::Discord,
    ];

    /// The manifest's spelling (`none` for Tailscale's JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Slack => "slack",
            Self::Mattermost => "mattermost",
            Self::GoogleChat => "googlechat",
            Self::Discord => "discord",
        }
    }

    /// The API's spelling (empty for Tailscale's JSON).
    pub fn wire(self) -> &'static str {
        match self {
            Self::None => "",
            other => other.as_str(),
        }
    }

    /// Parses the manifest's spelling; the API's empty string is `none` too.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" => Some(Self::None),
            s => Self::ALL.into_iter().find(|p| p.as_str() == s),
        }
    }
}

impl serde::Serialize for ProviderType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ProviderType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProviderType::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a webhook provider type"))
        })
    }
}

impl fmt::Display for ProviderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! subscriptions {
    ($($variant:ident = $wire:literal),+ $(,)?) => {
        /// An event a webhook subscribes to (the union of the OpenAPI description's list and
        /// the Go client's, which adds the two `category*` groups that include future events).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Subscription {
            $(
                #[doc = concat!("`", $wire, "`.")]
                $variant,
            )+
        }

        impl Subscription {
            /// Every known event.
            pub const ALL: &'static [Subscription] = &[$(Subscription::$variant),+];

            /// The API's spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Subscription::$variant => $wire,)+
                }
            }
        }
    };
}

subscriptions! {
    CategoryTailnetManagement = "categoryTailnetManagement",
    CategoryDeviceMisconfigurations = "categoryDeviceMisconfigurations",
    NodeCreated = "nodeCreated",
    NodeNeedsApproval = "nodeNeedsApproval",
    NodeApproved = "nodeApproved",
    NodeKeyExpiringInOneDay = "nodeKeyExpiringInOneDay",
    NodeKeyExpired = "nodeKeyExpired",
    NodeDeleted = "nodeDeleted",
    NodeSigned = "nodeSigned",
    NodeNeedsSignature = "nodeNeedsSignature",
    PolicyUpdate = "policyUpdate",
    UserCreated = "userCreated",
    UserNeedsApproval = "userNeedsApproval",
    UserSuspended = "userSuspended",
    UserRestored = "userRestored",
    UserDeleted = "userDeleted",
    UserApproved = "userApproved",
    UserRoleUpdated = "userRoleUpdated",
    SubnetIpForwardingNotEnabled = "subnetIPForwardingNotEnabled",
    ExitNodeIpForwardingNotEnabled = "exitNodeIPForwardingNotEnabled",
}

impl Subscription {
    /// Parses the API's spelling (exact case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for s in Subscription::ALL {
            assert_eq!(Subscription::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Subscription::ALL.len(), 20);
        for p in ProviderType::ALL {
            assert_eq!(ProviderType::parse(p.as_str()), Some(p));
            assert_eq!(ProviderType::parse(p.wire()), Some(p));
        }
        assert_eq!(Subscription::parse("nodecreated"), None);
    }
}
