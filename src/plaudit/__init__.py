"""Plaudit: a self-hostable credentialing engine."""

__version__ = "0.1.0"
