"""License-plate reads: ingest (webhooks, Intelbras, batches), search and trajectories."""
