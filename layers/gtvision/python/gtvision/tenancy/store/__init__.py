"""SQL of tenancy's tables (cities, cameras, users, sessions)."""
