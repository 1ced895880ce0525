"""Learning events: ingestion, learners, traces."""
