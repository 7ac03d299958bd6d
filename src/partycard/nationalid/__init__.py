"""The national population database, as partycard sees it: the adapter (find a person by citizen ID), its
HTTP client with rate limit and back-off, the comparison of a member with a person, and a stand-in service
speaking the same documented JSON/HTTP API over loopback (docs/population.md). No Django: the stand-in
runs as its own process.
"""
