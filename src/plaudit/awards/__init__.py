"""Awards: what learners earned, how often, from which rule and event, and the credentials."""
