"""``partycard meeting checkin --meeting ID [--reader NAME] [--can NNNNNN] [--as USERNAME]``: check a member
in by the chip card on a PC/SC reader (``--can``: the card access number printed on a card made since
PACE, issue 18; without it such a card reads ``pace_required``).

Reads the card (``chip.reader.card_read`` over ``chip.pcsc``), verifies it as ``read-card`` does
(``verify.chip.chip_verdict``: passive and active authentication against this server's trust list) with the
server's own, current status lists, and records the holder present at the meeting
(``meetings.services.attendance_record``, method "chip"; idempotent). Exit status: 0 recorded (or already
present), 1 refused (the card is not valid, or its holder is not a member of the meeting's cell), 3 no card,
no reader or no trust data.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.accounts.models import User
from partycard.accounts.roles import Action
from partycard.chip.can import can_check
from partycard.chip.errors import ChipError
from partycard.chip.reader import card_read
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.core.pcsc import pcsc_connector
from partycard.core.signing import SigningUnavailable, trust_material
from partycard.credentials.publishing import status_list_lookup
from partycard.meetings.choices import CheckinMethod
from partycard.meetings.models import Meeting
from partycard.meetings.services import attendance_record, card_member
from partycard.ops.metrics import verdict_count
from partycard.verify.chip import chip_verdict

_EXIT_REFUSED = 1
_EXIT_NO_CARD = 3


class Command(BaseCommand):
    help = "Cell meetings: check a member in by reading their chip card on a PC/SC reader."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        checkin = sub.add_parser("checkin", help="read the chip card and record its holder present")
        checkin.add_argument("--meeting", type=int, required=True, help="the meeting's id")
        checkin.add_argument("--reader", help="a part of the reader's name (default: the first with a card)")
        checkin.add_argument("--can", metavar="NNNNNN", help="the card access number printed on the card")
        checkin.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="record as this officer, within their scope"
        )

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None  # the system (the operator at the meeting's reader station)
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["as_user"])
        meetings = (
            Meeting.objects.all() if actor is None else Meeting.objects.scoped(actor, Action.CHANGE_MEETING)
        )
        meeting = meetings.filter(pk=options["meeting"]).first()
        if meeting is None:
            raise CommandError(f"no meeting {options['meeting']}")
        try:
            material = trust_material(at=clock.now())
        except SigningUnavailable as e:
            raise CommandError(e.message, returncode=_EXIT_NO_CARD) from e
        can = options.get("can")
        if can is not None:
            try:
                can = can_check(can.strip())
            except ValueError as e:
                raise CommandError(f"--can: {e}", returncode=_EXIT_NO_CARD) from e
        # The reader last, after every argument was checked: a wrong meeting or CAN is said as such on a
        # station without the optional PC/SC extra too.
        pcsc_connect = pcsc_connector(_EXIT_NO_CARD)  # pyscard: the optional "pcsc" extra
        try:
            with pcsc_connect(options["reader"]) as transport:
                read = card_read(transport, can=can)
        except ChipError as e:
            self.stderr.write(f"meeting checkin: {e}")
            sys.exit(_EXIT_NO_CARD)
        now = clock.now()
        verdict = chip_verdict(
            read, trust=material.trust, root=material.root, now=now,
            status=lambda uri: status_list_lookup(uri, at=now),
        )  # fmt: skip
        verdict_count(verdict, channel="chip")
        if not verdict.ok:
            self.stdout.write(f"THẺ KHÔNG HỢP LỆ ({verdict.outcome.value}): {', '.join(verdict.codes)}")
            sys.exit(_EXIT_REFUSED)
        member = card_member(verdict.holder.get("card_number", ""))
        if member is None:
            self.stdout.write("Không tìm thấy đảng viên có số thẻ này (not_in_cell)")
            sys.exit(_EXIT_REFUSED)
        try:
            attendance, created = attendance_record(
                actor=actor, meeting=meeting, member=member, method=CheckinMethod.CHIP, checked_at=now,
                device=f"PC/SC {options['reader'] or ''}".strip(),
            )  # fmt: skip
        except DomainError as e:
            self.stdout.write(f"{e.message} ({e.code})")
            sys.exit(_EXIT_REFUSED)
        word = "đã điểm danh" if created else "đã điểm danh trước đó"
        self.stdout.write(f"{member.full_name}: {word} ({attendance.checked_at:%d/%m/%Y %H:%M})")
