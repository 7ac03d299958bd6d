"""Chip card data (ICAO 9303 LDS), applet and reader. Pure library: no Django. Built in the trust-and-chip issue."""
