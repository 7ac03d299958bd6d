"""The factory's ledger: an append-only journal of what was done to which batch, card and chip.

One JSON object a line in ``DIR/ledger.jsonl``, each written and fsync'd before the step it records is
taken as done, so that a run killed at any point resumes without doing a card twice: what the ledger
says is done is skipped, a card *started* but not finished had its chip discarded (a half-personalised
chip carries a key whose DG15 no one will sign; the card is redone on a new chip, and the discarded
chip's serial is kept for the bureau's chip stock reconciliation). A line torn by a crash while it was
written is the last one and is cut off. The ledger also refuses replays: a batch or SOD file whose
report was written is never processed again, nor is another file with the same batch code.

Events (``event`` field) and their other fields, besides ``batch`` and ``at``:

=================  ==============================================================
batch_opened       sha256 (of the .p7m as received)
card_started       number, serial
card_personalised  number, serial, dg15 (hex); for a batch /2 also ca_key, dg14 (hex) and can
card_spoiled       number, serial, reason, stage (1: personalise, 2: finish)
chip_discarded     number, serial, reason
keys_written       report_id, sha256 (of the key report file)
sod_opened         sha256 (of the SOD file as received)
card_produced      number, serial, aa_fingerprint
report_written     report_id, sha256 (of the production report file)
=================  ==============================================================
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partycard.factory.errors import LedgerDamaged

__all__ = ["BatchRecord", "CardRecord", "Ledger"]


@dataclass
class CardRecord:
    """One card number in one batch, as the ledger folds it."""

    number: str
    started: list[str] = field(default_factory=list)  # serials of every chip begun for it
    serial: str = ""
    outcome: str = ""  # "" (not done) | "personalised" | "spoiled" (pass 1)
    reason: str = ""
    dg15: bytes = b""
    ca_key: bytes = b""  # batch /2: the chip's CA public point (GENERATE ASYMMETRIC KEY PAIR P2 01)
    dg14: bytes = b""  # batch /2: the DG14 built from it and written
    can: str = ""  # batch /2: what pass 2's check opens the chip with (printed on the card anyway)
    final: str = ""  # "" | "produced" | "spoiled" (pass 2)
    final_reason: str = ""
    aa_fingerprint: str = ""
    discarded: list[str] = field(default_factory=list)  # serials of chips thrown away unfinished

    @property
    def interrupted(self) -> str | None:
        """The serial of a chip begun and never finished, or None."""
        if self.started and not self.outcome and self.started[-1] not in self.discarded:
            return self.started[-1]
        return None


@dataclass
class BatchRecord:
    """A batch as the ledger folds it."""

    code: str
    sha256: str
    cards: dict[str, CardRecord] = field(default_factory=dict)
    keys_report_id: str = ""
    keys_sha256: str = ""
    keys_at: str = ""
    sod_sha256: str = ""
    report_id: str = ""
    report_sha256: str = ""
    report_at: str = ""

    def card(self, number: str) -> CardRecord:
        return self.cards.setdefault(number, CardRecord(number))


class Ledger:
    """The journal in ``path``, loaded; :meth:`append` writes an event durably and folds it in."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.batches: dict[str, BatchRecord] = {}
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            # The last line was torn by a crash while it was written: the step it recorded was not
            # taken as done. Cut it off, so that the next event starts a line of its own.
            data = data[: data.rfind(b"\n") + 1]
            os.truncate(path, len(data))
        for number, line in enumerate(data.splitlines(), 1):
            try:
                self._fold(json.loads(line))
            except (ValueError, KeyError, TypeError) as e:
                raise LedgerDamaged(f"{path} line {number} is not a ledger event: {e}") from e

    def append(self, event: str, batch: str, at: str, **fields: Any) -> None:
        """Record ``event`` for ``batch`` durably (written and fsync'd) and fold it into the state."""
        record = {"event": event, "batch": batch, "at": at, **fields}
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode()
        with open(self._path, "ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self._fold(record)

    def by_file(self, sha256: str) -> tuple[str, BatchRecord] | None:
        """What a file with this SHA-256 was to this factory: ("batch" | "sod", its batch), or None."""
        for record in self.batches.values():
            if record.sha256 == sha256:
                return "batch", record
            if record.sod_sha256 == sha256:
                return "sod", record
        return None

    def _fold(self, e: dict[str, Any]) -> None:
        kind, code = e["event"], e["batch"]
        if kind == "batch_opened":
            self.batches.setdefault(code, BatchRecord(code, e["sha256"]))
            return
        record = self.batches[code]
        if kind == "card_started":
            record.card(e["number"]).started.append(e["serial"])
        elif kind == "card_personalised":
            card = record.card(e["number"])
            card.outcome, card.serial, card.dg15 = "personalised", e["serial"], bytes.fromhex(e["dg15"])
            card.ca_key, card.dg14 = bytes.fromhex(e.get("ca_key", "")), bytes.fromhex(e.get("dg14", ""))
            card.can = e.get("can", "")
        elif kind == "card_spoiled":
            card = record.card(e["number"])
            if e["stage"] == 1:
                card.outcome, card.serial, card.reason = "spoiled", e["serial"], e["reason"]
            else:
                card.final, card.final_reason = "spoiled", e["reason"]
        elif kind == "chip_discarded":
            record.card(e["number"]).discarded.append(e["serial"])
        elif kind == "keys_written":
            record.keys_report_id, record.keys_sha256, record.keys_at = e["report_id"], e["sha256"], e["at"]
        elif kind == "sod_opened":
            record.sod_sha256 = e["sha256"]
        elif kind == "card_produced":
            card = record.card(e["number"])
            card.final, card.aa_fingerprint = "produced", e["aa_fingerprint"]
        elif kind == "report_written":
            record.report_id, record.report_sha256, record.report_at = e["report_id"], e["sha256"], e["at"]
