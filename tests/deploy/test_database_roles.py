"""The application's database role (deploy/postgres/roles.sql and grants.sql, docs/operations.md): the web
server and the worker do their work, and cannot truncate, rewrite or drop what they must not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import errors, sql

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]


def _url(user: str, dbname: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def _superuser_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def _run(env: dict[str, str], *command: str) -> str:
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=REPO
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def _as_superuser(script: str, *, owner: str, app: str, db: str) -> None:
    variables = ("-v", f"owner={owner}", "-v", f"app={app}", "-v", f"db={db}")
    _run(
        dict(os.environ),
        "psql",
        "--no-psqlrc",
        "-q",
        "-d",
        _superuser_url("postgres"),
        *variables,
        "-f",
        script,
    )


@pytest.fixture
def roles() -> Iterator[tuple[str, str, str]]:
    """(owner, app, database) made by deploy/postgres/roles.sql; dropped afterwards."""
    base = str(settings.DATABASES["default"]["NAME"]).removeprefix("test_")
    owner, app, db = f"{base}_owner", f"{base}_app", f"{base}_roles"

    def drop() -> None:
        with psycopg.connect(_superuser_url("postgres"), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
            for role in (app, owner):
                connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))

    drop()
    _as_superuser("deploy/postgres/roles.sql", owner=owner, app=app, db=db)
    try:
        yield owner, app, db
    finally:
        drop()


def test_the_app_role_works_and_cannot_truncate_rewrite_or_drop_also_after_a_restore(
    roles: tuple[str, str, str], tmp_path: Path
) -> None:
    owner, app, db = roles
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PARTYCARD_PKI_DIR")}
    env.update(PARTYCARD_VAR=str(tmp_path / "var"), PARTYCARD_PKI_PASSPHRASE="a long test passphrase")
    as_owner, as_app = {**env, "DATABASE_URL": _url(owner, db)}, {**env, "DATABASE_URL": _url(app, db)}
    partycard = (sys.executable, "-m", "partycard.cli")
    grants = (
        "psql",
        "--no-psqlrc",
        "-q",
        "-d",
        _url(owner, db),
        "-v",
        f"app={app}",
        "-f",
        "deploy/postgres/grants.sql",
    )

    # The owner migrates and loads the demo (the seed drops and rebuilds indexes), then grants.
    _run(as_owner, *partycard, "migrate", "--no-input", "-v", "0")
    _run(as_owner, *partycard, "demo", "--members", "60")
    _run(as_owner, *grants)

    # The app role does the app's work: audited writes, a background job, the chain check.
    _run(as_app, *partycard, "pki", "rollover")
    _run(as_app, *partycard, "exchange", "evaluate", "--campaign", "dot-2026")
    assert "intact" in _run(as_app, *partycard, "audit", "verify")
    _assert_refused(app, db)

    # Backed up and restored as the owner into a new database (database.sql): the grants come back with it.
    _run(as_owner, "bash", "scripts/backup.sh", str(tmp_path / "backup"))
    with psycopg.connect(_superuser_url("postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(db)))
    shutil.rmtree(tmp_path / "var")
    _as_superuser("deploy/postgres/database.sql", owner=owner, app=app, db=db)
    _run(as_owner, "bash", "scripts/restore.sh", str(tmp_path / "backup"))
    assert "intact" in _run(as_app, *partycard, "audit", "verify")
    _run(as_app, *partycard, "pki", "publish")
    _assert_refused(app, db)


def _assert_refused(app: str, db: str) -> None:
    refused = [
        "TRUNCATE audit_auditevent",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET actor = 'x'",
        "DELETE FROM audit_chainhead",
        "TRUNCATE registry_member CASCADE",
        "DROP TABLE registry_member CASCADE",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "CREATE TABLE intruder (id int)",
        "DELETE FROM django_migrations",
    ]
    with psycopg.connect(_url(app, db), autocommit=True) as connection:
        for statement in refused:
            with pytest.raises(errors.InsufficientPrivilege):
                connection.execute(statement)  # type: ignore[arg-type]  # literal SQL, no parameters
        rows = connection.execute("SELECT count(*) FROM audit_auditevent").fetchone()
        assert rows is not None and rows[0] > 0
