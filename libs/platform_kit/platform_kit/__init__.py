"""Shared kernel: what every service of the platform needs, written once."""
