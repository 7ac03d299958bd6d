#!/usr/bin/env python3
"""Compile partycard's translation catalogues (``.po`` → ``.mo``) with polib, without GNU gettext.

The ``.mo`` files are committed, so installing and running partycard needs no ``msgfmt``. This script
is what ``make messages`` runs after the ``.po`` files change. Like ``msgfmt``, it leaves fuzzy,
obsolete and untranslated entries out of the ``.mo`` (so Django falls back to the English msgid); unlike
plain ``msgfmt`` it also refuses a catalogue whose translations would break at run time (a
``python-format`` placeholder that the msgid does not supply, or a wrong number of positional ones).

The output is deterministic: the same ``.po`` always gives the same bytes (entries sorted by msgid, no
hash table, no timestamp), and a ``.mo`` that is already up to date is not rewritten.

Refreshing the catalogue after msgids change (from the repository root)::

    cd src/partycard && ../../.venv/bin/partycard makemessages -l vi --ignore 'migrations/*' && cd ../..
    # translate every new or "#, fuzzy" entry in src/partycard/locale/vi/LC_MESSAGES/django.po,
    # then delete its "#, fuzzy" line (and any "#| msgid" line above it)
    .venv/bin/python scripts/compile_messages.py            # or: make messages
    .venv/bin/python -m pytest tests/test_translations.py -q

Usage::

    python scripts/compile_messages.py [--check] [--strict] [LOCALE_DIR_OR_PO ...]

``--check`` writes nothing and exits 1 if any ``.mo`` is missing or out of date (for CI). ``--strict``
also fails on untranslated or fuzzy entries. Without arguments every ``*.po`` under
``src/partycard/locale/*/LC_MESSAGES/`` is compiled.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polib

__all__ = [
    "LOCALE_DIR",
    "CompileResult",
    "compile_po",
    "find_po_files",
    "format_problems",
    "main",
    "placeholders",
]

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "src" / "partycard" / "locale"

# A printf-style conversion as Python's % operator reads it: %(name)s, %d, %-5.2f, %%.
_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)


def placeholders(text: str) -> tuple[Counter[str], int]:
    """The named placeholders of ``text`` (with how often each occurs) and its number of positional ones.

    ``%%`` is a literal percent sign and counts as neither.
    """
    named: Counter[str] = Counter()
    positional = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            named[match.group("name")] += 1
        else:
            positional += 1
    return named, positional


def format_problems(entry: polib.POEntry) -> list[str]:
    """Why ``entry``'s translation would fail (or lose a value) when formatted with ``%``.

    Only entries flagged ``python-format`` (xgettext marks them) are checked. Every named placeholder of
    the msgid (of ``msgid_plural`` for plural forms) must appear in each msgstr and no other name may;
    positional placeholders must be as many as in the msgid, since ``%`` with a tuple needs them all.
    """
    if "python-format" not in entry.flags or not entry.translated():
        return []
    source = entry.msgid_plural or entry.msgid
    want_named, want_positional = placeholders(source)
    allowed = set(want_named) | set(placeholders(entry.msgid)[0])
    translations = (
        [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
        if entry.msgid_plural
        else [entry.msgstr]
    )
    problems = []
    for text in translations:
        named, positional = placeholders(text)
        missing = sorted(set(want_named) - set(named))
        extra = sorted(set(named) - allowed)
        if missing:
            problems.append(f"placeholder(s) {', '.join(f'%({n})' for n in missing)} missing from {text!r}")
        if extra:
            problems.append(f"placeholder(s) {', '.join(f'%({n})' for n in extra)} unknown in {text!r}")
        if positional != want_positional:
            problems.append(
                f"{positional} positional placeholder(s) in {text!r}, msgid has {want_positional}"
            )
    return problems


@dataclass
class CompileResult:
    po: Path
    mo: Path
    translated: int = 0
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changed: bool = False


def find_po_files(targets: list[Path]) -> list[Path]:
    """Every ``LC_MESSAGES/*.po`` under the given locale directories (or the given .po files), sorted."""
    found: set[Path] = set()
    for target in targets:
        if target.is_file() and target.suffix == ".po":
            found.add(target.resolve())
        elif target.is_dir():
            found.update(p.resolve() for p in target.rglob("LC_MESSAGES/*.po"))
        else:
            raise FileNotFoundError(f"{target}: not a .po file or a directory")
    return sorted(found)


def _nplurals(po: polib.POFile) -> int | None:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else None


def _check(po: polib.POFile) -> list[str]:
    errors = []
    if "charset=" not in po.metadata.get("Content-Type", ""):
        errors.append("header has no Content-Type charset")
    nplurals = _nplurals(po)
    for entry in po:
        if entry.obsolete:
            continue
        where = f"line {entry.linenum}: msgid {entry.msgid!r}"
        errors.extend(f"{where}: {p}" for p in format_problems(entry))
        if entry.msgid_plural and entry.translated():
            if nplurals is None:
                errors.append(f"{where}: plural entry but the header has no Plural-Forms")
            elif sorted(entry.msgstr_plural) != list(range(nplurals)):
                errors.append(
                    f"{where}: needs msgstr[0]..msgstr[{nplurals - 1}] (Plural-Forms: nplurals={nplurals})"
                )
    return errors


def mo_bytes(po: polib.POFile) -> bytes:
    """The .mo image of ``po``: translated entries only, sorted by msgid (polib's ``to_binary``).

    Like ``msgfmt``, the header leaves out ``POT-Creation-Date``, which every ``makemessages`` run bumps:
    the ``.mo`` changes only when a translation does.
    """
    po.metadata.pop("POT-Creation-Date", None)
    return bytes(po.to_binary())


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compile_po(po_path: Path, *, write: bool = True) -> CompileResult:
    """Compile ``po_path`` to the ``.mo`` beside it; with ``write=False`` only report whether it would change.

    Nothing is written when the catalogue has errors.
    """
    po = polib.pofile(str(po_path))
    result = CompileResult(po=po_path, mo=po_path.with_suffix(".mo"))
    live = [e for e in po if not e.obsolete]
    result.fuzzy = [e.msgid for e in live if e.fuzzy]
    result.untranslated = [e.msgid for e in live if not e.fuzzy and not e.translated()]
    result.translated = len(po.translated_entries())
    result.errors = _check(po)
    if result.errors:
        return result
    data = mo_bytes(po)
    result.changed = not result.mo.exists() or result.mo.read_bytes() != data
    if write and result.changed:
        _write_atomically(result.mo, data)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "targets", nargs="*", type=Path, help=f"locale dirs or .po files (default: {LOCALE_DIR})"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a .mo is out of date")
    parser.add_argument("--strict", action="store_true", help="also fail on untranslated or fuzzy entries")
    args = parser.parse_args(argv)

    try:
        po_files = find_po_files(args.targets or [LOCALE_DIR])
    except FileNotFoundError as e:
        print(f"compile_messages: {e}", file=sys.stderr)
        return 2
    if not po_files:
        print(f"compile_messages: no .po files under {', '.join(map(str, args.targets or [LOCALE_DIR]))}",
              file=sys.stderr)  # fmt: skip
        return 2

    failed = False
    for po_path in po_files:
        result = compile_po(po_path, write=not args.check)
        shown = po_path.relative_to(ROOT) if po_path.is_relative_to(ROOT) else po_path
        for error in result.errors:
            print(f"{shown}: error: {error}", file=sys.stderr)
        for label, msgids in (("untranslated", result.untranslated), ("fuzzy", result.fuzzy)):
            for msgid in msgids:
                print(
                    f"{shown}: {'error' if args.strict else 'warning'}: {label}: {msgid!r}", file=sys.stderr
                )
        if result.errors or (args.strict and (result.untranslated or result.fuzzy)):
            failed = True
            continue
        if args.check:
            state = "out of date" if result.changed else "up to date"
            failed |= result.changed
        else:
            state = "written" if result.changed else "unchanged"
        print(
            f"{shown}: {result.translated} translated, {len(result.fuzzy)} fuzzy, "
            f"{len(result.untranslated)} untranslated; {result.mo.name} {state}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
