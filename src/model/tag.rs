//! `Tag`: a Tailscale ACL tag (`tag:<name>`), and `TagOwner`, an entry of a `tagOwners` list.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid [`Tag`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// The `tag:` prefix is missing.
    #[error("a tag starts with `tag:`")]
    MissingPrefix,
    /// Nothing after `tag:`.
    #[error("a tag needs a name after `tag:`")]
    EmptyName,
    /// The name does not start with a letter.
    #[error("a tag name starts with a letter")]
    BadStart,
    /// A character outside `[A-Za-z0-9-]`.
    #[error("a tag name uses only letters, digits and `-` (found `{0}`)")]
    BadChar(char),
}

/// An ACL tag such as `tag:web`: `tag:` followed by a letter, then letters, digits or `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    /// Parses and validates a tag.
    pub fn parse(s: &str) -> Result<Self, TagError> {
        let name = s.strip_prefix("tag:").ok_or(TagError::MissingPrefix)?;
        let first = name.chars().next().ok_or(TagError::EmptyName)?;
        if !first.is_ascii_alphabetic() {
            return Err(TagError::BadStart);
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(TagError::BadChar(bad));
        }
        Ok(Self(s.to_owned()))
    }

    /// The full tag, `tag:` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = TagError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Tag::parse(&s)
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> String {
        t.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One owner in a `tagOwners` entry: a tag (`tag:deployer`), a group (`group:ops`), an autogroup
/// (`autogroup:admin`) or a user login. tailform checks only that it is non-empty and has no
/// whitespace; the API validates the rest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagOwner(String);

impl TagOwner {
    /// Parses an owner; `None` when empty or containing whitespace.
    pub fn parse(s: &str) -> Option<Self> {
        (!s.is_empty() && !s.chars().any(char::is_whitespace)).then(|| Self(s.to_owned()))
    }

    /// The owner as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner as a tag, when it is one (`tag:x` owns through the tag itself).
    pub fn as_tag(&self) -> Option<Tag> {
        Tag::parse(&self.0).ok()
    }
}

impl From<Tag> for TagOwner {
    fn from(t: Tag) -> Self {
        TagOwner(t.0)
    }
}

impl TryFrom<String> for TagOwner {
    type Error = TagError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TagOwner::parse(&s).ok_or(TagError::EmptyName)
    }
}

impl From<TagOwner> for String {
    fn from(t: TagOwner) -> String {
        t.0
    }
}

impl fmt::Display for TagOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert!(Tag::parse("tag:web").is_ok());
        assert!(Tag::parse("tag:Web-2").is_ok());
        assert_eq!(Tag::parse("web"), Err(TagError::MissingPrefix));
        assert_eq!(Tag::parse("tag:"), Err(TagError::EmptyName));
        assert_eq!(Tag::parse("tag:2web"), Err(TagError::BadStart));
        assert_eq!(Tag::parse("tag:we b"), Err(TagError::BadChar(' ')));
    }

    #[test]
    fn owners() {
        assert!(TagOwner::parse("autogroup:admin").is_some());
        assert!(TagOwner::parse("").is_none());
        assert_eq!(
            TagOwner::parse("tag:ci").unwrap().as_tag(),
            Some(Tag::parse("tag:ci").unwrap())
        );
    }
}
