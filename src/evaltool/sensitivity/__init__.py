"""Sensitivity analyses (filled in below)."""
