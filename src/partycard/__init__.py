"""partycard: the party membership card exchange (Directive 51-CT/TW) and the chip card's life after it."""

__version__ = "0.1.0"
