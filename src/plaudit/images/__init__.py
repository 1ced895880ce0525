"""Uploaded badge and certificate images: validation, SVG sanitising and PNG variants."""
