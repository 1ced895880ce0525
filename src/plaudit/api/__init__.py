"""HTTP plumbing shared by every feature's routes: unit of work, auth, pagination, problems."""

# Every feature router carries the full prefix itself, so route templates (metrics, logs)
# read the same as the URLs people call.
API_PREFIX = "/api/v1"
