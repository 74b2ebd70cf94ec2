"""Live streams through MediaMTX: paths, nodes and placement."""
