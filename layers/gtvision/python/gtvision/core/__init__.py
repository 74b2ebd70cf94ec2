"""What every feature shares: settings, errors, observability, the database, AWS clients, retries,
pagination, the caller's identity, crypto, time and JSON."""
