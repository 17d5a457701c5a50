//! `Reporter`: how apply tells the outside world what it is doing (started, applied, failed,
//! skipped). The walker never prints; the terminal reporter lives in `crate::render::progress`,
//! tests use a recording one.

use crate::plan::Step;

/// Receives apply progress.
pub trait Reporter: Send + Sync {
    /// A step starts.
    fn started(&self, step: &Step);
    /// A step finished; `detail` is a short, secret-free summary (an id).
    fn applied(&self, step: &Step, detail: &str);
    /// A step failed.
    fn failed(&self, step: &Step, error: &str);
    /// A step was not run because a step it depends on failed.
    fn skipped(&self, step: &Step);
}

/// A reporter that reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn started(&self, _: &Step) {}
    fn applied(&self, _: &Step, _: &str) {}
    fn failed(&self, _: &Step, _: &str) {}
    fn skipped(&self, _: &Step) {}
}
