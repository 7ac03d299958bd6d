"""Ninja schemas of the API, one module per app (input shape only: the rules are the services')."""
