"""A credential's life once granted: issued, revoked, suspended, reinstated, expiring, expired;
each change told to the learner (email) and to the systems that listen (webhooks)."""
