"""Shared building blocks of the Django apps: text folding, clock, domain errors."""
