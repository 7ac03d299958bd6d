"""Chip card data (ICAO 9303 LDS), applet, reader. Pure library, no Django; trust-and-chip issue."""
