"""Credential templates: what a badge or certificate is, in every language, version by version."""
