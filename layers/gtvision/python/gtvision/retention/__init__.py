"""Retention: recordings and plate reads past each city's plan."""
