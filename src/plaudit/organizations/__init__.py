"""Organizations: tenants and issuers."""
