"""``partycard-factory``: the manufacturer's command (init, trust, personalise, finish, show).

Progress goes to stderr, results (the files written) to stdout; the exit codes are listed in
factory/errors.py. This module is the wall-clock wrapper: ``--at`` defaults to now, in UTC; the library
below takes the time as a parameter.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from partycard.chip.errors import ChipStateMalformed
from partycard.factory.errors import FactoryError, TrustInvalid, UsageError
from partycard.factory.finishing import batch_finish
from partycard.factory.personalisation import batch_personalise
from partycard.factory.show import chip_summary, file_summary
from partycard.factory.workshop import Factory, factory_init, factory_open, factory_trust

__all__ = ["PASSPHRASE_ENV", "main"]

PASSPHRASE_ENV = "PARTYCARD_FACTORY_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)


def _passphrase() -> bytes:
    return os.environ.get(PASSPHRASE_ENV, "").encode()


def _at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as e:
        raise UsageError(f"--at {text!r} is not an ISO 8601 date and time") from e
    if moment.tzinfo is None:
        raise UsageError("--at needs a time zone (e.g. 2026-03-04T08:00:00+07:00)")
    return moment.astimezone(UTC)


def _spoil(items: Sequence[str]) -> dict[str, str]:
    spoil: dict[str, str] = {}
    for item in items:
        number, _, reason = item.partition("=")
        if not number.strip() or not reason.strip():
            raise UsageError(f"--spoil {item!r}: write NUMBER=REASON")
        spoil[number.strip()] = reason.strip()
    return spoil


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _open(directory: str) -> Factory:
    return factory_open(Path(directory), passphrase=_passphrase())


def _load_certificate(path: str, what: str) -> x509.Certificate:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise TrustInvalid(f"the {what} certificate cannot be read: {e}") from e
    try:
        return (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError as e:
        raise TrustInvalid(f"{path} is not a certificate ({what})") from e


def _cmd_init(args: argparse.Namespace) -> int:
    factory = factory_init(
        Path(args.dir), organization=args.organization, passphrase=_passphrase(), at=_at(args.at)
    )
    requests = factory.directory / "requests"
    print(requests / "signing.pub.pem")
    print(requests / "encryption.pub.pem")
    _progress(
        f"factory {factory.organization!r} initialised in {factory.directory}. Send the two public keys"
        f" above to the Party, which certifies them with `partycard pki manufacturer --organization ..."
        f" --signing-key {requests / 'signing.pub.pem'} --encryption-key {requests / 'encryption.pub.pem'}`;"
        f" install what it returns with `partycard-factory trust {factory.directory} --root ..."
        f" --signing-cert ... --encryption-cert ...`"
    )
    return 0


def _cmd_trust(args: argparse.Namespace) -> int:
    with (factory := _open(args.dir)).locked():
        factory_trust(
            factory,
            root=_load_certificate(args.root, "root"),
            signing_cert=_load_certificate(args.signing_cert, "signing"),
            encryption_cert=_load_certificate(args.encryption_cert, "encryption"),
            at=_at(args.at),
        )
    _progress(f"certificates checked and installed in {factory.directory / 'certs'}")
    return 0


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"{path} cannot be read: {e}") from e


def _cmd_personalise(args: argparse.Namespace) -> int:
    data, spoil, at = _read(args.batch), _spoil(args.spoil), _at(args.at)
    with (factory := _open(args.dir)).locked():
        summary = batch_personalise(
            factory, data, name=Path(args.batch).name, spoil=spoil, at=at, progress=_progress
        )
    _progress(
        f"batch {summary.batch}: {summary.personalised} personalised, {summary.spoiled} spoiled"
        f" ({summary.resumed} done by an earlier run, {summary.discarded} chips discarded)"
    )
    print(summary.key_report)
    print(summary.print_file)
    return 0


def _cmd_finish(args: argparse.Namespace) -> int:
    data, at = _read(args.sod), _at(args.at)
    with (factory := _open(args.dir)).locked():
        summary = batch_finish(factory, data, name=Path(args.sod).name, at=at, progress=_progress)
    _progress(
        f"batch {summary.batch}: {summary.produced} produced, {summary.spoiled} spoiled"
        f" ({summary.resumed} done by an earlier run)"
    )
    print(summary.report)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = _read(args.file)
    if path.suffix == ".chip":
        try:
            lines = chip_summary(data)
        except ChipStateMalformed as e:
            raise UsageError(f"{path.name} is not a saved chip: {e}") from e
    else:
        if args.dir is None:
            raise UsageError("--dir is needed to open a batch, SOD file or report (keys and certificates)")
        lines = file_summary(path, factory=_open(args.dir), at=_at(args.at))
    print("\n".join(lines))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partycard-factory",
        description="The card manufacturer's side of party card production (docs/production.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser(
        "init", help="make the factory's keys (passphrase from $" + PASSPHRASE_ENV + ")"
    )
    init.add_argument("dir")
    init.add_argument("--organization", required=True, help="the manufacturer's name")
    init.set_defaults(run=_cmd_init)

    trust = commands.add_parser("trust", help="check and install the Party's root and our certificates")
    trust.add_argument("dir")
    trust.add_argument("--root", required=True)
    trust.add_argument("--signing-cert", required=True)
    trust.add_argument("--encryption-cert", required=True)
    trust.set_defaults(run=_cmd_trust)

    personalise = commands.add_parser("personalise", help="pass 1: personalise a batch, write the key report")
    personalise.add_argument("batch", metavar="BATCH.p7m")
    personalise.add_argument("--dir", required=True)
    personalise.add_argument(
        "--spoil", action="append", default=[], metavar="NUMBER=REASON", help="a card the line spoiled"
    )
    personalise.set_defaults(run=_cmd_personalise)

    finish = commands.add_parser("finish", help="pass 2: write EF.SOD, check each chip, write the report")
    finish.add_argument("sod", metavar="SOD.p7m")
    finish.add_argument("--dir", required=True)
    finish.set_defaults(run=_cmd_finish)

    show = commands.add_parser("show", help="summarise a batch, key report, SOD file, report or chip")
    show.add_argument("file")
    show.add_argument("--dir")
    show.set_defaults(run=_cmd_show)

    for sub in (init, trust, personalise, finish, show):
        sub.add_argument("--at", help="the time to act at (ISO 8601 with a zone); now unless given")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; its exit status (0 done, 2 usage, 3-11 as factory/errors.py lists)."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except FactoryError as e:
        print(f"partycard-factory: {e}", file=sys.stderr)
        return e.exit_code
    except Exception:
        traceback.print_exc()
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
