"""SQL of sharing (the only SQL for its tables), split by table: agreements and their log, feed deliveries,
hotlist entries (the watchlist rows an agreement owns) and grants."""
