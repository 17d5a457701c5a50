//! The terminal apply reporter: progress on stderr — an indicatif bar with the finished steps
//! printed above it on a terminal, plain lines otherwise (CI logs). Never prints a secret (steps
//! and details carry none).

use std::io::Write;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::Reporter;
use crate::plan::Step;

/// Prints apply progress to stderr.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    started: Instant,
}

impl Progress {
    /// A reporter for `total` steps; a bar when stderr is a terminal, lines otherwise.
    pub fn new(total: usize, terminal: bool, quiet: bool) -> Self {
        let bar = (terminal && !quiet).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg}")
                    .expect("the progress template is valid"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            quiet,
            started: Instant::now(),
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None if !self.quiet => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            None => {}
        }
    }

    fn elapsed(&self) -> String {
        format!("{:.1}s", self.started.elapsed().as_secs_f64())
    }

    /// A printer of lines above the bar (or plain lines; nothing with `--quiet`) that outlives
    /// this borrow, for messages from elsewhere during the walk (e.g. the client's waits for
    /// new credentials, which `commands/` wires to it).
    pub fn printer(&self) -> impl Fn(&dyn std::fmt::Display) + Send + Sync + 'static {
        let bar = self.bar.clone();
        let quiet = self.quiet;
        move |text| match &bar {
            Some(bar) => bar.println(text.to_string()),
            None if !quiet => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            None => {}
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Reporter for Progress {
    fn started(&self, step: &Step) {
        match &self.bar {
            Some(bar) => bar.set_message(step.describe()),
            None => self.line(format!("{}: started", step.describe())),
        }
    }

    fn applied(&self, step: &Step, detail: &str) {
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        };
        self.line(format!(
            "{}: done{detail} [{}]",
            step.describe(),
            self.elapsed()
        ));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn failed(&self, step: &Step, error: &str) {
        // Failures are shown even with --quiet.
        let text = format!("{}: FAILED: {error}", step.describe());
        match &self.bar {
            Some(bar) => {
                bar.println(text);
                bar.inc(1);
            }
            None => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }

    fn skipped(&self, step: &Step) {
        self.line(format!(
            "{}: skipped (a step it depends on failed)",
            step.describe()
        ));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}
