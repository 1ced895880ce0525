"""Bulk issuance: issue credentials from a CSV file, previewed, resumable, idempotent."""
