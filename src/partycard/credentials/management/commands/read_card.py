"""``partycard read-card``: read the card in a PC/SC reader and print one verdict, then the card's data.

Thin glue: :func:`partycard.chip.reader.card_read` over :mod:`partycard.chip.pcsc`, judged offline by
:func:`partycard.verify.chip.chip_verdict` against the signed trust list and the root the reader holds
(by default those ``partycard pki`` publishes in ``PARTYCARD_PKI_DIR``) and the signed status lists it
holds (``--status-list``, by default every token in ``PARTYCARD_PKI_DIR/status/``, which
``partycard status-lists publish`` writes), each verified against the trust list as the e-card verifier
verifies them; a list that fails is left out with a warning (the cards on it read "cannot tell"). The
reader remembers the highest trust list number it accepted (``trustlist-seen.json`` beside the AA log)
and refuses an older list (``trust_list_rollback``, exit 3).
``--can NNNNNN`` gives the card access number printed on the card: a card made since issue 18 opens
its data only after PACE with it (ICAO 9303-11 §4.4), then proves itself with chip authentication;
without it such a card gives nothing but EF.CardAccess and the verdict is ``pace_required``. The CAN is
never printed back nor logged. Exit status: 0 valid, 1 invalid (``card_revoked`` among others), 2 cannot
tell, 3 no card or no trust data. The card's data is printed only after the verdict, and marked
untrusted unless the card is valid. Reading a card changes nothing, so nothing is audited.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.chip.can import CAN_DIGITS, can_check
from partycard.chip.errors import ChipError
from partycard.chip.reader import card_read
from partycard.core import clock
from partycard.core.pcsc import pcsc_connector
from partycard.ecard.errors import StatusListError
from partycard.ecard.status import StatusList
from partycard.ops.metrics import verdict_count
from partycard.trust.errors import TrustError, TrustListRollback
from partycard.trust.trustlist import TrustList, TrustListMemory, trustlist_verify
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.status import StatusListCache
from partycard.verify.verdict import Outcome, Verdict

EXIT_STATUS = {Outcome.VALID: 0, Outcome.INVALID: 1, Outcome.CANNOT_TELL: 2}
_EXIT_NO_CARD = 3  # also no trust data: a CommandError's default 1 would read "invalid" to a script

_HEADLINE = {
    Outcome.VALID: ("THẺ HỢP LỆ", "VALID"),
    Outcome.INVALID: ("THẺ KHÔNG HỢP LỆ", "INVALID"),
    Outcome.CANNOT_TELL: ("CHƯA KẾT LUẬN ĐƯỢC", "CANNOT TELL"),
}
_LABELS = {
    "card_number": ("Số thẻ", "Card number"),
    "full_name": ("Họ và tên", "Full name"),
    "date_of_birth": ("Ngày sinh", "Date of birth"),
    "gender": ("Giới tính", "Gender"),
    "date_admitted": ("Ngày vào Đảng", "Admitted"),
    "date_official": ("Ngày chính thức", "Made official"),
    "issuing_committee": ("Cấp ủy cấp thẻ", "Issuing committee"),
    "issue_date": ("Ngày cấp", "Issue date"),
}


def _pki_dir() -> Path:
    return Path(os.environ.get("PARTYCARD_PKI_DIR") or Path(settings.VAR_DIR) / "pki")


_TRUSTLIST_SEEN = "trustlist-seen.json"  # beside the AA log: the highest trust list number accepted


def _load_trust(trust_list: Path, root_path: Path, seen: Path) -> tuple[TrustList, x509.Certificate]:
    """The trust list verified against the root and not older than the highest ``seen`` remembers (which
    it then raises to this list's number).

    Raises:
        CommandError: exit 3 for a missing file, a list that does not verify, or an older list
            (``trust_list_rollback``).
    """
    try:
        root = x509.load_pem_x509_certificate(root_path.read_bytes())
        trust = trustlist_verify(trust_list.read_bytes(), root, clock.now())
    except FileNotFoundError as e:
        raise CommandError(
            f"missing {e.filename}: run `partycard pki init` or pass --trust-list/--root",
            returncode=_EXIT_NO_CARD,
        ) from e
    except (TrustError, ValueError) as e:
        raise CommandError(f"the trust list cannot be trusted: {e}", returncode=_EXIT_NO_CARD) from e
    try:
        TrustListMemory(seen).accept(trust)
    except TrustListRollback as e:
        raise CommandError(
            f"trust_list_rollback: {e} (remembered in {seen}); copy the current trustlist.json",
            returncode=_EXIT_NO_CARD,
        ) from e
    except (TrustError, OSError) as e:
        raise CommandError(
            f"cannot keep the trust list's number in {seen}: {e}", returncode=_EXIT_NO_CARD
        ) from e
    return trust, root


def _status_files(given: list[Path] | None, directory: Path) -> list[Path]:
    """The status list tokens to load: those given, else every ``*.jwt`` / ``*.cwt`` in ``directory``."""
    if given:
        missing = [str(path) for path in given if not path.is_file()]
        if missing:
            raise CommandError(f"no such status list file: {', '.join(missing)}", returncode=_EXIT_NO_CARD)
        return given
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".jwt", ".cwt") and p.is_file())


def _load_status_lists(
    paths: list[Path], *, trust: TrustList, root: x509.Certificate, now: datetime
) -> tuple[dict[str, StatusList], list[str]]:
    """Verify each token as the e-card verifier does (verify/status.py: a trust-list signer with the
    ``EC`` type, not revoked, valid, inside its key usage period) and hold the newest list per URI.

    A JWT starts ``ey`` (base64url of ``{"``); anything else is read as a CWT. Returns the lists held by
    URI and one line per file refused — a reader goes on with the others (draft-ietf-oauth-status-list
    §9: an error in one token does not stop the processing of the rest).
    """
    cache = StatusListCache()
    held: dict[str, StatusList] = {}
    refused: list[str] = []
    for path in paths:
        try:
            raw = path.read_bytes()
            if raw.lstrip()[:2] == b"ey":
                status_list = cache.update_jwt(raw.decode("ascii").strip(), trust=trust, root=root, now=now)
            else:
                status_list = cache.update_cwt(raw, trust=trust, root=root, now=now)
        except (StatusListError, UnicodeDecodeError, OSError) as e:
            refused.append(f"{path}: {e}")
            continue
        held[status_list.uri] = status_list
    return held, refused


class Command(BaseCommand):
    help = (
        "Read the card in a PC/SC reader, verify it offline (PA + AA) and print the verdict, then the data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reader", help="a part of the reader's name (default: the first with a card)")
        parser.add_argument(
            "--trust-list", type=Path, help="signed trust list (default: PKI dir trustlist.json)"
        )
        parser.add_argument("--root", type=Path, help="root certificate PEM (default: PKI dir root.pem)")
        parser.add_argument(
            "--status-list",
            type=Path,
            action="append",
            metavar="FILE",
            help="a signed status list token, JWT or CWT (repeatable; default: every token in the PKI"
            " dir's status/ folder)",
        )
        parser.add_argument(
            "--aa-log",
            type=Path,
            help="file of active-authentication answers seen before, to name replays (default: PKI dir)",
        )
        parser.add_argument(
            "--can",
            metavar="NNNNNN",
            help=f"the card access number printed on the card ({CAN_DIGITS} digits): opens a PACE card",
        )
        parser.add_argument("--lang", choices=["vi", "en"], default="vi")
        parser.add_argument("--json", action="store_true", help="print the verdict as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        can = options["can"]
        if can is not None:
            try:
                can_check(can.strip())
            except ValueError as e:
                raise CommandError(f"--can: {e}", returncode=_EXIT_NO_CARD) from e
            can = can.strip()
        directory = _pki_dir()
        log_path: Path = options["aa_log"] or directory / "aa-seen.txt"
        trust, root = _load_trust(
            options["trust_list"] or directory / "trustlist.json",
            options["root"] or directory / "root.pem",
            log_path.with_name(_TRUSTLIST_SEEN),
        )
        held, refused = _load_status_lists(
            _status_files(options["status_list"], directory / "status"),
            trust=trust,
            root=root,
            now=clock.now(),
        )
        for line in refused:
            self.stderr.write(f"read-card: status list refused, not used: {line}")
        memory = AaMemory()
        if log_path.exists():
            memory.remember(log_path.read_text(encoding="ascii").splitlines())
        # Only now: what the operator typed and the trust data are checked first, reader or not (a machine
        # without the pcsc extra still says what is wrong with them).
        pcsc_connect = pcsc_connector(_EXIT_NO_CARD)  # pyscard: the optional "pcsc" extra

        started = time.perf_counter()
        try:
            with pcsc_connect(options["reader"]) as transport:
                read = card_read(transport, can=can)
        except ChipError as e:
            self.stderr.write(f"read-card: {e}")
            sys.exit(_EXIT_NO_CARD)
        now = clock.now()
        verdict = chip_verdict(read, trust=trust, root=root, now=now, memory=memory, status=held.values())
        verdict_count(verdict, channel="chip")
        elapsed_ms = (time.perf_counter() - started) * 1000
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text("\n".join(memory.fingerprints) + "\n", encoding="ascii")
        lists = sorted(held.values(), key=lambda s: s.issued_at)
        if options["json"]:
            self._print_json(verdict, trust, lists, now, elapsed_ms)
        else:
            self._print(verdict, trust, lists, now, options["lang"], elapsed_ms)
        sys.exit(EXIT_STATUS[verdict.outcome])

    def _print(
        self,
        verdict: Verdict,
        trust: TrustList,
        lists: list[StatusList],
        now: datetime,
        lang: str,
        elapsed_ms: float,
    ) -> None:
        vi = lang == "vi"
        headline = _HEADLINE[verdict.outcome][0 if vi else 1]
        self.stdout.write(f"{headline} ({verdict.outcome.value})  [{elapsed_ms:.0f} ms]")
        for reason in verdict.reasons:
            message = reason.message_vi if vi else reason.message_en
            self.stdout.write(f"  - [{reason.kind.value}] {reason.code}: {message}")
        issued = f"{trust.issued_at:%d/%m/%Y %H:%M}"
        self.stdout.write(
            f"  {'Danh sách tin cậy ngày' if vi else 'Trust list of'} {issued} UTC"
            + (" — QUÁ HẠN / STALE" if trust.stale else "")
        )
        if not lists:
            self.stdout.write(f"  {'Danh sách trạng thái: không có' if vi else 'Status lists: none'}")
        else:
            stale = sum(1 for s in lists if s.stale(now))
            self.stdout.write(
                f"  {'Danh sách trạng thái' if vi else 'Status lists'}: {len(lists)}, "
                f"{'cũ nhất ngày' if vi else 'oldest issued'} {lists[0].issued_at:%d/%m/%Y %H:%M} UTC"
                + (f" — {stale} QUÁ HẠN / STALE" if stale else "")
            )
        if not verdict.holder:
            return
        trusted = verdict.outcome is Outcome.VALID
        if trusted:
            self.stdout.write("Dữ liệu trên thẻ:" if vi else "Card data:")
        else:
            self.stdout.write(
                "Dữ liệu đọc được (KHÔNG đáng tin):" if vi else "Data as read (NOT trustworthy):"
            )
        for key, value in verdict.holder.items():
            label = _LABELS[key][0 if vi else 1]
            self.stdout.write(f"  {label}: {value}")

    def _print_json(
        self, verdict: Verdict, trust: TrustList, lists: list[StatusList], now: datetime, elapsed_ms: float
    ) -> None:
        document = {
            "outcome": verdict.outcome.value,
            "reasons": [
                {"code": r.code, "kind": r.kind.value, "message_en": r.message_en, "message_vi": r.message_vi}
                for r in verdict.reasons
            ],
            "trust_list": {
                "issued_at": trust.issued_at.isoformat(),
                "sequence": trust.sequence,
                "stale": trust.stale,
                "aa_fallback": trust.chip_policy.aa_fallback,  # the signed chip policy the verdict used
            },
            "status_lists": [
                {"uri": s.uri, "issued_at": s.issued_at.isoformat(), "stale": s.stale(now)} for s in lists
            ],
            "elapsed_ms": round(elapsed_ms, 1),
            "holder": dict(verdict.holder),
        }
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
