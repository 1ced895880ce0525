"""The 1EdTech Open Badges 3.0 REST API: Plaudit as a host (provider) and as a client (consumer)."""
