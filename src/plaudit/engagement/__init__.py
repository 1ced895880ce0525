"""Engagement: page views, downloads, LinkedIn clicks and verifications of each credential."""
