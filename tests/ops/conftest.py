"""The readiness checks keep a connection on a thread of their own: closed after each test, so that the
test database can be dropped at the end (PostgreSQL refuses while a session is open)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from partycard.ops.readiness import readiness_connections_close


@pytest.fixture(autouse=True)
def _readiness_connection_closed() -> Iterator[None]:
    yield
    readiness_connections_close()
