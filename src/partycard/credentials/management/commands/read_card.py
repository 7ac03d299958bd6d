"""``partycard read-card``: read the card in a PC/SC reader and print one verdict, then the card's data.

Thin glue: :func:`partycard.chip.reader.card_read` over :mod:`partycard.chip.pcsc`, judged offline by
:func:`partycard.verify.chip.chip_verdict` against the signed trust list and the root the reader holds
(by default those ``partycard pki`` publishes in ``PARTYCARD_PKI_DIR``). Exit status: 0 valid,
1 invalid, 2 cannot tell, 3 no card or no trust data. The card's data is printed only after the verdict,
and marked untrusted unless the card is valid. Reading a card changes nothing, so nothing is audited.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.chip.errors import ChipError
from partycard.chip.reader import card_read
from partycard.core import clock
from partycard.trust.errors import TrustError
from partycard.trust.trustlist import TrustList, trustlist_verify
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.verdict import Outcome, Verdict

EXIT_STATUS = {Outcome.VALID: 0, Outcome.INVALID: 1, Outcome.CANNOT_TELL: 2}
_EXIT_NO_CARD = 3

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


def _load_trust(trust_list: Path, root_path: Path) -> tuple[TrustList, x509.Certificate]:
    try:
        root = x509.load_pem_x509_certificate(root_path.read_bytes())
        return trustlist_verify(trust_list.read_bytes(), root, clock.now()), root
    except FileNotFoundError as e:
        raise CommandError(
            f"missing {e.filename}: run `partycard pki init` or pass --trust-list/--root"
        ) from e
    except (TrustError, ValueError) as e:
        raise CommandError(f"the trust list cannot be trusted: {e}") from e


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
            "--aa-log",
            type=Path,
            help="file of active-authentication answers seen before, to name replays (default: PKI dir)",
        )
        parser.add_argument("--lang", choices=["vi", "en"], default="vi")
        parser.add_argument("--json", action="store_true", help="print the verdict as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from partycard.chip.pcsc import pcsc_connect  # pyscard: the optional "pcsc" extra
        except ImportError as e:
            raise CommandError(
                "PC/SC support is not installed: apt-get install libpcsclite-dev swig pcscd, "
                "then pip install 'partycard[pcsc]'"
            ) from e

        directory = _pki_dir()
        trust, root = _load_trust(
            options["trust_list"] or directory / "trustlist.json", options["root"] or directory / "root.pem"
        )
        log_path: Path = options["aa_log"] or directory / "aa-seen.txt"
        memory = AaMemory()
        if log_path.exists():
            memory.remember(log_path.read_text(encoding="ascii").splitlines())
        started = time.perf_counter()
        try:
            with pcsc_connect(options["reader"]) as transport:
                read = card_read(transport)
        except ChipError as e:
            self.stderr.write(f"read-card: {e}")
            sys.exit(_EXIT_NO_CARD)
        verdict = chip_verdict(read, trust=trust, root=root, now=clock.now(), memory=memory)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text("\n".join(memory.fingerprints) + "\n", encoding="ascii")
        if options["json"]:
            self._print_json(verdict, trust, elapsed_ms)
        else:
            self._print(verdict, trust, options["lang"], elapsed_ms)
        sys.exit(EXIT_STATUS[verdict.outcome])

    def _print(self, verdict: Verdict, trust: TrustList, lang: str, elapsed_ms: float) -> None:
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

    def _print_json(self, verdict: Verdict, trust: TrustList, elapsed_ms: float) -> None:
        document = {
            "outcome": verdict.outcome.value,
            "reasons": [
                {"code": r.code, "kind": r.kind.value, "message_en": r.message_en, "message_vi": r.message_vi}
                for r in verdict.reasons
            ],
            "trust_list": {"issued_at": trust.issued_at.isoformat(), "stale": trust.stale},
            "elapsed_ms": round(elapsed_ms, 1),
            "holder": dict(verdict.holder),
        }
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
