"""Verification for anyone: the public endpoint and the CLI over the pure verifier."""
