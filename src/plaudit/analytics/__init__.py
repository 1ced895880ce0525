"""The program at a glance: issuance, engagement and what needs attention, over a period."""
