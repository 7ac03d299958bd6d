"""``partycard seed``: a national-shaped, deterministic registry for demos, tests and benchmarks.

``tree`` and ``people`` are pure (no Django) so the member rows can be generated in a worker process
while the main process streams the previous chunk into the database; ``loader`` is the database side.
"""
