"""Live events: publishing after commits, and the WebSocket fan-out."""
