//! The local Tailscale API emulator (under construction on the `emulator` branch).
