"""Outbound webhooks: endpoints, Standard Webhooks signatures, deliveries."""
