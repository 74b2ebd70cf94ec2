"""Stream and recording health, and the system's own health checks."""
