"""Award rules as an organization manages them: save, validate, simulate, backfill."""
