"""The home menu and /aide."""
