"""Claims: a credential offered to a learner's wallet, once and for a while (protocols: wallets)."""
