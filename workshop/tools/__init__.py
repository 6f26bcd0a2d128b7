"""Thin adapters over the real tools (kubectl, helm, terraform, ovh) (see the project's issues)."""
