"""The audit trail and the LGPD data-subject answers."""
