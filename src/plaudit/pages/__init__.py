"""What recipients and verifiers see: the credential's public page and the learner's wallet."""
