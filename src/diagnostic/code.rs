//! `Code`: the stable identity of every diagnostic `tailform validate` can report — a number and
//! a kebab-case slug (`E012 tag-prefix`). Numbers are never reused or renumbered: a retired check
//! keeps its number out of use. `E` codes are errors (validation fails), `W` codes warnings
//! (validation passes and prints them). The README carries the same table; a test keeps the two
//! in step.
//!
//! | code | slug | severity | what it means |
//! |---|---|---|---|
//! | E001 | read-error | error | a manifest path cannot be read |
//! | E002 | yaml-syntax | error | a manifest file is not one well-formed YAML document |
//! | E003 | no-manifests | error | no manifest file was found |
//! | E004 | unknown-field | error | a field tailform does not know (typos get a hint) |
//! | E005 | wrong-type | error | a value of the wrong type (a list where a string belongs, …) |
//! | E006 | duplicate-key | error | the same key twice in one mapping |
//! | E007 | duplicate-resource | error | a tailnet, OAuth client or auth key declared twice |
//! | E008 | invalid-name | error | a logical name outside `[a-z0-9][a-z0-9-]{0,62}` |
//! | E009 | display-name | error | a display name the API refuses: not 1–50 ASCII letters, digits, spaces, `'` or `-` |
//! | E010 | duplicate-display-name | error | two created tailnets with the same display name |
//! | E011 | invalid-tag | error | a tag whose name part is malformed |
//! | E012 | tag-prefix | error | a tag without the `tag:` prefix |
//! | E013 | key-needs-tags | error | an auth key that must carry tags has none |
//! | E014 | unknown-scope | error | a scope name the API does not know |
//! | W015 | legacy-scope | warning | a pre-2024 scope name; it is expanded to the current ones |
//! | E016 | no-scopes | error | an OAuth client or federated identity without scopes |
//! | E017 | client-needs-tags | error | an OAuth client or federated identity whose scopes require tags has none |
//! | E018 | description | error | a description the API refuses (length or characters) |
//! | E019 | expiry-range | error | an auth key expiry outside 1s..=90d |
//! | E020 | invalid-duration | error | a duration that does not parse |
//! | E021 | rotate-before-range | error | `rotateBefore` not shorter than `expiry` |
//! | E022 | keep-previous-range | error | `keepPrevious` not shorter than `expiry` |
//! | E023 | recreate-if-invalid | error | a `recreateIfInvalid` value other than auto, always, never |
//! | E024 | unknown-client | error | `createdBy` names no OAuth client of the tailnet |
//! | E025 | client-cannot-create-keys | error | the `createdBy` client lacks the `auth_keys` scope |
//! | E026 | tag-not-permitted | error | a `createdBy` client may not give the key these tags |
//! | E027 | undefined-tag | error | a tag used in a tailnet whose policy does not define it |
//! | W028 | undefined-owner | warning | a `tagOwners` owner tag that the block does not define |
//! | E029 | policy-form | error | a policy block without exactly one of `tagOwners` or `file` |
//! | E030 | policy-file-unreadable | error | the policy file is missing or cannot be read |
//! | E031 | policy-file-invalid | error | the policy file is not a HuJSON object |
//! | E032 | invalid-tag-owner | error | an empty or blank `tagOwners` owner |
//! | E033 | invalid-tailnet-id | error | an `id` that cannot be a tailnet id |
//! | E034 | display-name-on-existing | error | `displayName` on an existing tailnet (no effect) |
//! | W035 | prevent-destroy-ignored | warning | `preventDestroy` on an existing tailnet (never deleted) |
//! | E036 | tailnet-cap | error | more tailnets than the organization's cap |
//! | W037 | empty-manifest | warning | no tailnets at all (apply would delete everything managed) |
//! | E038 | invalid-env-name | error | an `envName` outside `[A-Z_][A-Z0-9_]*` |
//! | E039 | duplicate-env-name | error | two secrets with the same environment variable name |
//! | E040 | delivery-shape | error | a `deliver` entry without exactly one of `file` or `command` |
//! | E041 | duplicate-tailnet-id | error | two tailnets that reference the same existing tailnet |
//! | E042 | invalid-move | error | a `moved` entry that cannot be followed (addresses, kinds, tailnets) |
//! | E043 | invalid-issuer | error | a federated identity's `issuer` that is not an `https://` URL with a host |
//! | E044 | invalid-subject | error | a federated identity without a `subject`, or with a blank one |
//! | E045 | reserved-claim | error | a `customClaimRules` entry for `sub`, `iss` or `aud` (the identity's own fields) |
//! | E046 | invalid-webhook-url | error | a webhook without an `endpointUrl`, or one that is not an `https://` URL with a host |
//! | E047 | unknown-subscription | error | a webhook event tailform does not know, or a webhook without subscriptions |
//! | E048 | webhook-provider-type | error | a `providerType` other than none, slack, mattermost, googlechat, discord |
//! | E049 | duplicate-webhook-url | error | two webhooks of one tailnet on the same URL (the API refuses the second) |
//! | E050 | rotate-every-range | error | a `rotateEvery` shorter than one hour |
//! | E051 | invalid-setting | error | a `settings` value of the wrong type, out of range, or not one of its choices |

use std::fmt;

use serde::Serialize;

/// Whether a diagnostic fails validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Validation fails.
    Error,
    /// Reported; validation still passes.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $num:literal, $prefix:literal, $slug:literal, $sev:ident, $what:literal; )*) => {
        /// A diagnostic's stable identity (see the module table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $what]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in number order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The number (`12` for `E012`).
            pub fn number(self) -> u16 {
                match self { $(Code::$variant => $num,)* }
            }

            /// The code as shown: `E012` (errors) or `W015` (warnings).
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => concat!($prefix, stringify!($num)),)* }
            }

            /// The kebab-case slug (`tag-prefix`).
            pub fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }

            /// Error or warning; fixed per code.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// What the code means, in one line (the README table's last column).
            pub fn what(self) -> &'static str {
                match self { $(Code::$variant => $what,)* }
            }
        }
    };
}

codes! {
    ReadError = 1, "E00", "read-error", Error, "a manifest path cannot be read";
    YamlSyntax = 2, "E00", "yaml-syntax", Error, "a manifest file is not one well-formed YAML document";
    NoManifests = 3, "E00", "no-manifests", Error, "no manifest file was found";
    UnknownField = 4, "E00", "unknown-field", Error, "a field tailform does not know (typos get a hint)";
    WrongType = 5, "E00", "wrong-type", Error, "a value of the wrong type (a list where a string belongs, …)";
    DuplicateKey = 6, "E00", "duplicate-key", Error, "the same key twice in one mapping";
    DuplicateResource = 7, "E00", "duplicate-resource", Error, "a tailnet, OAuth client or auth key declared twice";
    InvalidName = 8, "E00", "invalid-name", Error, "a logical name outside `[a-z0-9][a-z0-9-]{0,62}`";
    DisplayName = 9, "E00", "display-name", Error, "a display name the API refuses: not 1–50 ASCII letters, digits, spaces, `'` or `-`";
    DuplicateDisplayName = 10, "E0", "duplicate-display-name", Error, "two created tailnets with the same display name";
    InvalidTag = 11, "E0", "invalid-tag", Error, "a tag whose name part is malformed";
    TagPrefix = 12, "E0", "tag-prefix", Error, "a tag without the `tag:` prefix";
    KeyNeedsTags = 13, "E0", "key-needs-tags", Error, "an auth key that must carry tags has none";
    UnknownScope = 14, "E0", "unknown-scope", Error, "a scope name the API does not know";
    LegacyScope = 15, "W0", "legacy-scope", Warning, "a pre-2024 scope name; it is expanded to the current ones";
    NoScopes = 16, "E0", "no-scopes", Error, "an OAuth client or federated identity without scopes";
    ClientNeedsTags = 17, "E0", "client-needs-tags", Error, "an OAuth client or federated identity whose scopes require tags has none";
    Description = 18, "E0", "description", Error, "a description the API refuses (length or characters)";
    ExpiryRange = 19, "E0", "expiry-range", Error, "an auth key expiry outside 1s..=90d";
    InvalidDuration = 20, "E0", "invalid-duration", Error, "a duration that does not parse";
    RotateBeforeRange = 21, "E0", "rotate-before-range", Error, "`rotateBefore` not shorter than `expiry`";
    KeepPreviousRange = 22, "E0", "keep-previous-range", Error, "`keepPrevious` not shorter than `expiry`";
    RecreateIfInvalid = 23, "E0", "recreate-if-invalid", Error, "a `recreateIfInvalid` value other than auto, always, never";
    UnknownClient = 24, "E0", "unknown-client", Error, "`createdBy` names no OAuth client of the tailnet";
    ClientCannotCreateKeys = 25, "E0", "client-cannot-create-keys", Error, "the `createdBy` client lacks the `auth_keys` scope";
    TagNotPermitted = 26, "E0", "tag-not-permitted", Error, "a `createdBy` client may not give the key these tags";
    UndefinedTag = 27, "E0", "undefined-tag", Error, "a tag used in a tailnet whose policy does not define it";
    UndefinedOwner = 28, "W0", "undefined-owner", Warning, "a `tagOwners` owner tag that the block does not define";
    PolicyForm = 29, "E0", "policy-form", Error, "a policy block without exactly one of `tagOwners` or `file`";
    PolicyFileUnreadable = 30, "E0", "policy-file-unreadable", Error, "the policy file is missing or cannot be read";
    PolicyFileInvalid = 31, "E0", "policy-file-invalid", Error, "the policy file is not a HuJSON object";
    InvalidTagOwner = 32, "E0", "invalid-tag-owner", Error, "an empty or blank `tagOwners` owner";
    InvalidTailnetId = 33, "E0", "invalid-tailnet-id", Error, "an `id` that cannot be a tailnet id";
    DisplayNameOnExisting = 34, "E0", "display-name-on-existing", Error, "`displayName` on an existing tailnet (no effect)";
    PreventDestroyIgnored = 35, "W0", "prevent-destroy-ignored", Warning, "`preventDestroy` on an existing tailnet (never deleted)";
    TailnetCap = 36, "E0", "tailnet-cap", Error, "more tailnets than the organization's cap";
    EmptyManifest = 37, "W0", "empty-manifest", Warning, "no tailnets at all (apply would delete everything managed)";
    InvalidEnvName = 38, "E0", "invalid-env-name", Error, "an `envName` outside `[A-Z_][A-Z0-9_]*`";
    DuplicateEnvName = 39, "E0", "duplicate-env-name", Error, "two secrets with the same environment variable name";
    DeliveryShape = 40, "E0", "delivery-shape", Error, "a `deliver` entry without exactly one of `file` or `command`";
    DuplicateTailnetId = 41, "E0", "duplicate-tailnet-id", Error, "two tailnets that reference the same existing tailnet";
    InvalidMove = 42, "E0", "invalid-move", Error, "a `moved` entry that cannot be followed (addresses, kinds, tailnets)";
    InvalidIssuer = 43, "E0", "invalid-issuer", Error, "a federated identity's `issuer` that is not an `https://` URL with a host";
    InvalidSubject = 44, "E0", "invalid-subject", Error, "a federated identity without a `subject`, or with a blank one";
    ReservedClaim = 45, "E0", "reserved-claim", Error, "a `customClaimRules` entry for `sub`, `iss` or `aud` (the identity's own fields)";
    InvalidWebhookUrl = 46, "E0", "invalid-webhook-url", Error, "a webhook without an `endpointUrl`, or one that is not an `https://` URL with a host";
    UnknownSubscription = 47, "E0", "unknown-subscription", Error, "a webhook event tailform does not know, or a webhook without subscriptions";
    WebhookProviderType = 48, "E0", "webhook-provider-type", Error, "a `providerType` other than none, slack, mattermost, googlechat, discord";
    DuplicateWebhookUrl = 49, "E0", "duplicate-webhook-url", Error, "two webhooks of one tailnet on the same URL (the API refuses the second)";
    RotateEveryRange = 50, "E0", "rotate-every-range", Error, "a `rotateEvery` shorter than one hour";
    InvalidSetting = 51, "E0", "invalid-setting", Error, "a `settings` value of the wrong type, out of range, or not one of its choices";
}

impl fmt::Display for Code {
    /// `E012 tag-prefix`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_increasing_and_match_ids() {
        let mut last = 0;
        for code in Code::ALL {
            assert!(code.number() > last, "{code} out of order");
            last = code.number();
            let prefix = match code.severity() {
                Severity::Error => 'E',
                Severity::Warning => 'W',
            };
            assert_eq!(code.id(), format!("{prefix}{:03}", code.number()));
        }
        assert_eq!(Code::TagPrefix.to_string(), "E012 tag-prefix");
    }

    #[test]
    fn module_table_matches_codes() {
        let source = include_str!("code.rs");
        for code in Code::ALL {
            let row = format!(
                "//! | {} | {} | {} | {} |",
                code.id(),
                code.slug(),
                code.severity().as_str(),
                code.what()
            );
            assert!(source.contains(&row), "missing table row: {row}");
        }
    }
}
