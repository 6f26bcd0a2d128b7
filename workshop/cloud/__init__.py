"""The emulated OVHcloud API, at its real protocol (see the project's issues)."""
