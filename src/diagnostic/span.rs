//! `Span`: where a value is in its file, the position every diagnostic points at.

/// Where a node is in its file: 1-based line and column (in characters), byte offset and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Byte offset of the node's first character.
    pub offset: usize,
    /// Length in bytes (0 when unknown, e.g. for a collection).
    pub len: usize,
}
