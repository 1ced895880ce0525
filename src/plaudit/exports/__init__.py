"""Exports: credentials and award logs as CSV or JSON Lines, streamed in constant memory."""
