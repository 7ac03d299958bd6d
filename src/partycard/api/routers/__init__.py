"""Ninja routers of the API, one module per app."""
