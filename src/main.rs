//! The `tailform` binary: everything happens in [`tailform::commands::run`].
//!
//! The global allocator is mimalloc rather than the system's. A plan of thousands of resources
//! is mostly small, short-lived allocations (the YAML tree of every manifest, every key of every
//! list the API answers, the diff), and glibc's malloc spent a sixth of a 5,000-resource plan's
//! CPU in `malloc`/`free` and their consolidation; with mimalloc, planning 5,040 resources takes
//! 125–146 ms of CPU instead of 154–252 ms. Its `no_thp` feature keeps transparent huge pages
//! out of its segments: with them the same plan's peak memory was 89 MiB, without them 63 MiB
//! (glibc: 48 MiB). `benches/perf.rs` and `benches/validate.rs` set the same allocator, so the
//! figures in the README are the binary's.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tailform::commands::run()
}
