"""Mosaics (video walls)."""
