"""Public files: template images and catalog artwork."""
