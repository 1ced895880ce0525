"""Learning events arrive: stored once, judged by the rules, their awards made."""
