//! Import and export through the facade (placeholder while building).
