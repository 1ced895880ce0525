"""API keys: how systems authenticate to an organization."""
