"""The rules engine: pure functions that decide which learning events earn credentials, and why."""
