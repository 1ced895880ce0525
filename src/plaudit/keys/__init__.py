"""Signing keys of each organization."""
