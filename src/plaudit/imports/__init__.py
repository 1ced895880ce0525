"""Imports of credentials issued elsewhere: CSV rows, Open Badges 2.0 and 3.0 documents."""
