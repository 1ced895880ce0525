"""The outbox: side effects recorded with their cause, delivered after commit by jobs."""
