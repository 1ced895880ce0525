"""Learners: created and updated from the events that name them."""
