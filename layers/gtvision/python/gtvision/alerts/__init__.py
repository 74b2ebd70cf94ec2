"""Watchlists and alerts."""
