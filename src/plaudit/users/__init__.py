"""Users and their membership of organizations."""
