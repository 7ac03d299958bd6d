"""``partycard card``: sign accepted cases' chip images, and put a signed card into a virtual reader.

``card sign CASE_ID…`` runs the production signing hook (``services.chip_images_sign``) as the system,
one transaction and one audit row per card. ``card insert CARD_NUMBER`` serves that card's chip image
on vsmartcard's vpcd reader (pcscd must run with ``vsmartcard-vpcd``), so that ``partycard read-card``
or any PC/SC tool reads it as a real card; the chip answers active authentication with its key in the
signing authority's store. Ctrl-C removes the card.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.chip.applet import Applet
from partycard.chip.lds import AID_LDS1
from partycard.chip.vpcd import DEFAULT_PORT, VirtualCard
from partycard.core.signing import SigningUnavailable, pki_keystore_open
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.services.chip_images import ChipImageError, chip_images_sign


class Command(BaseCommand):
    help = "Sign accepted cases' chip images (sign), or serve a signed card on the vpcd reader (insert)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sign = sub.add_parser("sign", help="build and sign the chip image of accepted cases")
        sign.add_argument("case_ids", nargs="+", type=int, metavar="CASE_ID")
        insert = sub.add_parser("insert", help="serve a signed card on vpcd until Ctrl-C")
        insert.add_argument("card_number")
        insert.add_argument("--host", default="127.0.0.1")
        insert.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help="vpcd's port (35963: first reader)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sign":
            self._sign(options["case_ids"])
        else:
            self._insert(options["card_number"], options["host"], options["port"])

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
        files, label = record.file_set(), record.chip_key_label
        card = VirtualCard(
            lambda: Applet(AID_LDS1, files, lambda m: store.sign(label, m)), host=host, port=port
        )
        self.stdout.write(
            f"card {card_number} inserted into the vpcd reader at {host}:{port}; Ctrl-C removes it"
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
