"""The manufacturer's side, ``partycard-factory``: open a batch, personalise the chips, print, report.

Pure library and command: no Django, no database (import-linter checks it)."""
