//! Manifest validation (under construction on the `manifest` branch).
