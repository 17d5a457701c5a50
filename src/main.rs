//! The `tailform` binary: everything happens in [`tailform::commands::run`].

fn main() -> std::process::ExitCode {
    tailform::commands::run()
}
