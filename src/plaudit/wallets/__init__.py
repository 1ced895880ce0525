"""Wallets: the protocols that carry a claimed credential into a learner's wallet."""
