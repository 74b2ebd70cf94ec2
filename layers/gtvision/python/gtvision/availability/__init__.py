"""Availability (SLA) reports: how much of each camera's expected time was recorded, per month."""
