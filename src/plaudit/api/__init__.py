"""HTTP plumbing shared by every feature's routes: unit of work, auth, pagination, problems."""
