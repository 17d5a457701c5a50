//! The Tailscale API client (under construction on the `api` branch).
