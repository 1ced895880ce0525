"""The checks verify() makes of a credential, one module per kind of check."""
