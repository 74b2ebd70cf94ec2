"""Cities, cameras, users, sessions, quotas and who may see what (authorization)."""
