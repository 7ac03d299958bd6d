"""``partycard card``: show a card's state and history, sign accepted cases' chip images, and put a
signed card into a virtual reader.

``card show NUMBER`` prints the card (new or old 8-digit), its member, where it is in its life and every
change with who made it and why (dates dd/mm/yyyy, in the project's time zone); exit 1 if no such card.

``card sign CASE_ID…`` runs the production signing hook (``services.chip_images_sign``) as the system,
one transaction and one audit row per card. ``card insert CARD_NUMBER`` serves that card's chip image
on vsmartcard's vpcd reader (pcscd must run with ``vsmartcard-vpcd``), so that ``partycard read-card``
or any PC/SC tool reads it as a real card; the chip answers active authentication with its key in the
signing authority's store, and (a card made since issue 18) requires PACE with the CAN it prints, then
answers chip authentication with its CA key there too. Ctrl-C removes the card.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from partycard.cards.card_number import format_number
from partycard.cards.lifecycle import CardKind
from partycard.cards.models import Card
from partycard.cards.selectors import card_history
from partycard.chip.vpcd import DEFAULT_PORT, VirtualCard
from partycard.core.signing import SigningUnavailable, pki_keystore_open
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.services.chip_images import ChipImageError, chip_images_sign, record_card


class Command(BaseCommand):
    help = (
        "Show a card's state and history (show), sign accepted cases' chip images (sign), or serve a signed"
        " card on the vpcd reader (insert)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print a card's state and history")
        show.add_argument("number")
        sign = sub.add_parser("sign", help="build and sign the chip image of accepted cases")
        sign.add_argument("case_ids", nargs="+", type=int, metavar="CASE_ID")
        insert = sub.add_parser("insert", help="serve a signed card on vpcd until Ctrl-C")
        insert.add_argument("card_number")
        insert.add_argument("--host", default="127.0.0.1")
        insert.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help="vpcd's port (35963: first reader)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            self._show(options["number"])
        elif options["action"] == "sign":
            self._sign(options["case_ids"])
        else:
            self._insert(options["card_number"], options["host"], options["port"])

    def _show(self, number: str) -> None:
        card = Card.objects.select_related("member", "holder").filter(number=number.strip()).first()
        if card is None:
            raise CommandError(f"no card numbered {number}")
        shown = format_number(card.number) if card.kind == CardKind.NEW else card.number
        self.stdout.write(f"{shown}  {card.get_kind_display()}  [{card.state}] {card.get_state_display()}")
        self.stdout.write(f"  member #{card.member_id}, cell path {card.path}")
        if card.holder is not None:
            self.stdout.write(f"  at {card.get_level_display()}: {card.holder.name}")
        if card.status_list_id is not None:
            self.stdout.write(f"  status list {card.status_list_id}, index {card.status_index}")
        if card.sod_sha256:
            self.stdout.write(f"  SOD sha256 {card.sod_sha256}")
        for event in card_history(card):
            when = timezone.localtime(event.at).strftime("%d/%m/%Y %H:%M")
            who = event.actor.get_username() if event.actor else "system"
            where = f" @ {event.holder.name}" if event.holder else ""
            why = f" — {event.reason}" if event.reason else ""
            moved = f"{event.from_state or '-'} → {event.to_state}"
            self.stdout.write(f"  {when}  {event.transition}: {moved}{where} ({who}){why}")

    def _sign(self, case_ids: list[int]) -> None:
        try:
            outcome = chip_images_sign(actor=None, case_ids=case_ids)
        except (ChipImageError, SigningUnavailable) as e:
            raise CommandError(str(e)) from e
        for case_id in outcome.succeeded:
            record = ChipImageRecord.objects.get(case_id=case_id)
            self.stdout.write(
                f"case {case_id}: card {record.card_number} signed (SOD {record.sod_sha256[:16]}…)"
            )
        for case_id, problems in outcome.problems.items():
            reasons = "; ".join(f"{p.code}: {p.message_en}" for p in problems)
            self.stderr.write(f"case {case_id}: refused — {reasons}")
        if outcome.problems:
            raise CommandError(f"{len(outcome.problems)} of {len(set(case_ids))} cases refused")

    def _insert(self, card_number: str, host: str, port: int) -> None:
        record = ChipImageRecord.objects.filter(card_number=card_number).first()
        if record is None:
            raise CommandError(
                f"no signed chip image for card {card_number}: run `partycard card sign CASE_ID`"
            )
        try:
            store = pki_keystore_open()
        except SigningUnavailable as e:
            raise CommandError(str(e)) from e
        card = VirtualCard(record_card(record, store), host=host, port=port)
        self.stdout.write(
            f"card {card_number} inserted into the vpcd reader at {host}:{port}; Ctrl-C removes it"
        )
        if record.can:
            # What the card's face shows (it opens the chip with PACE); a terminal, not a log.
            self.stdout.write(
                f"  CAN printed on the card: {record.can} (partycard read-card --can {record.can})"
            )
        try:
            card.serve_forever()
        except ConnectionRefusedError as e:
            raise CommandError(
                f"vpcd is not listening on {host}:{port}: is pcscd running with vsmartcard-vpcd?"
            ) from e
        except KeyboardInterrupt:
            pass
        finally:
            card.remove()
