"""Sharing with public-security programs: agreements, the outbound plate feed, inbound hotlists, inter-city
grants and the monthly record of what was shared (ADR 0025)."""
