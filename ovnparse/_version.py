"""The package version (the JSON contract changes with it: README, "Changes")."""

__version__ = "0.3.0"
