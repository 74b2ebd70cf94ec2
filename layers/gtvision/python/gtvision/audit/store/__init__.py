"""SQL of the audit trail and of LGPD answers."""
