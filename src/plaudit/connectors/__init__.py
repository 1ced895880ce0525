"""Inbound connectors: an LMS's own webhooks, mapped declaratively to Plaudit events."""
