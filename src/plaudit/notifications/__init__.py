"""Email notifications: credential issued, expiring, expired, suspended and revoked."""
