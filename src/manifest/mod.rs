//! Manifest loading (under construction on the `manifest` branch).
