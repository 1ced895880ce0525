"""Credentials as signed Open Badges 3.0 documents, and their public identifiers."""
