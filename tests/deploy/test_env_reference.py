"""Every environment variable the code reads is documented, in docs/operations.md's table and in
deploy/partycard.env.example, so that the list an operator configures from stays complete.

The reads are found in the code itself (the AST of every module under src/: ``os.environ.get``,
``os.environ[…]``, ``os.getenv``, ``os.environ.setdefault`` and ``in os.environ``, with the name a string or
a module-level string constant), plus what dj-database-url reads (``DATABASE_URL``) and the variables the
start scripts in deploy/bin read.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "partycard"
OPERATIONS = REPO / "docs" / "operations.md"
EXAMPLE = REPO / "deploy" / "partycard.env.example"
# Read by libraries on the code's behalf: dj_database_url.config() in settings/base.py.
IMPLICIT = {"DATABASE_URL"}


def _constants() -> dict[str, str]:
    """Module-level ``NAME = "VALUE"`` string constants of the whole package (names of variables kept in
    constants, e.g. the factory's ``PASSPHRASE_ENV``)."""
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text(), str(path)).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node.value.value
    return found


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` (not a WSGI request's ``environ``, whose keys are not settings)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def variables_read() -> dict[str, set[str]]:
    """Variable → the modules that read it."""
    constants = _constants()
    reads: dict[str, set[str]] = {name: {"dj_database_url"} for name in IMPLICIT}
    unresolved: list[str] = []
    for path in SRC.rglob("*.py"):
        where = str(path.relative_to(REPO))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            argument: ast.AST | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                func = node.func
                if (func.attr in ("get", "setdefault", "pop") and _is_environ(func.value)) or (
                    func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os"
                ):
                    argument = node.args[0]
            elif isinstance(node, ast.Subscript) and _is_environ(node.value):
                argument = node.slice
            elif (
                isinstance(node, ast.Compare)
                and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
                and any(_is_environ(c) for c in node.comparators)
            ):
                argument = node.left
            if argument is None:
                continue
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                name = argument.value
            elif isinstance(argument, ast.Name) and argument.id in constants:
                name = constants[argument.id]
            else:
                unresolved.append(f"{where}:{node.lineno}")
                continue
            reads.setdefault(name, set()).add(where)
    assert not unresolved, f"environment reads whose variable name this test cannot tell: {unresolved}"
    for script in (REPO / "deploy" / "bin").iterdir():
        for name in re.findall(r"\$\{?(PARTYCARD_[A-Z0-9_]+)", script.read_text()):
            reads.setdefault(name, set()).add(str(script.relative_to(REPO)))
    return reads


def test_the_scan_finds_the_reads_it_must() -> None:
    """The scan itself: a direct read, a multi-line one, one through a constant, one by a start script."""
    reads = variables_read()
    for name in (
        "DJANGO_SECRET_KEY",
        "PARTYCARD_MESSAGE_SENDER",
        "PARTYCARD_IMPORT_MAX_UNPACKED_BYTES",
        "PARTYCARD_FACTORY_PASSPHRASE",
        "PARTYCARD_WEB_THREADS",
        "DATABASE_URL",
    ):
        assert name in reads, name
    assert len(reads) > 50


def test_every_variable_is_in_the_operations_table() -> None:
    table = "\n".join(line for line in OPERATIONS.read_text().splitlines() if line.startswith("|"))
    missing = sorted(
        f"{name} (read by {', '.join(sorted(where))})"
        for name, where in variables_read().items()
        if not re.search(rf"`{name}`", table)
    )
    assert not missing, "add to docs/operations.md's table of settings:\n" + "\n".join(missing)


def test_every_variable_is_in_the_env_example() -> None:
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.M))
    missing = sorted(set(variables_read()) - listed)
    assert not missing, f"add to deploy/partycard.env.example (as NAME=… or # NAME=default): {missing}"


def test_the_env_example_is_read_alike_by_sh_and_systemd() -> None:
    """One ``NAME=value`` per line, no space around ``=``, a value with spaces quoted: what systemd's
    EnvironmentFile=, Compose's env_file and ``sh`` (deploy/bin/* --env-file) all read the same way."""
    for number, line in enumerate(EXAMPLE.read_text().splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r'[A-Z][A-Z0-9_]*=("[^"]*"|[^\s"\'`$]*)', line), f"line {number}: {line!r}"
