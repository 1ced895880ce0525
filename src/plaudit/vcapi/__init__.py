"""The W3C VC API: issue and verify credentials and presentations over plain HTTP."""
