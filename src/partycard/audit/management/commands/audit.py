"""``partycard audit verify`` and ``partycard audit checkpoint`` (docs/audit.md).

``verify`` checks the whole hash chain and checks it against the signed checkpoints outside the database;
each kind of damage has its own exit code, so monitoring can tell a truncated log from a reset head.
``checkpoint`` signs the current head with the audit key and appends it to the checkpoint file, once or
``--every`` N seconds.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.audit.checkpoint import (
    CheckpointInvalid,
    audit_keystore_open,
    checkpoint_key_label,
    checkpoint_path,
    checkpoints_load,
)
from partycard.audit.services import ChainBroken, Problem, audit_checkpoint, audit_verify
from partycard.core import clock
from partycard.core.signing import SigningUnavailable
from partycard.trust.errors import TrustError

# Exit codes: 1 is Django's for a usage error; each kind of damage has its own.
EXIT_CODES = {
    Problem.ALTERED: 2,
    Problem.MISSING: 2,
    Problem.REORDERED: 2,
    Problem.HEAD_MISMATCH: 3,
    Problem.HEAD_RESET: 4,
    Problem.TRUNCATED: 5,
    Problem.REHASHED: 6,
}
EXIT_CHECKPOINT_INVALID = 7
EXIT_KEY_STORE = 8


class Command(BaseCommand):
    help = (
        "Audit log tools. 'verify': check the hash chain and the signed checkpoints, name the first "
        "altered, removed or reordered row, a truncated log, a reset head or a re-hashed chain. "
        "'checkpoint': sign the chain head with the audit key and append it to the checkpoint file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "checkpoint"])
        parser.add_argument(
            "--every", type=float, default=0, help="checkpoint: repeat every this many seconds (0: once)"
        )
        parser.add_argument(
            "--require-checkpoints",
            action="store_true",
            help="verify: fail (exit 7) when there is no signed checkpoint, as production should",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(require_checkpoints=options["require_checkpoints"])
            return
        every = options["every"]
        while True:
            self._checkpoint()
            if every <= 0:
                return
            time.sleep(every)

    def _verify(self, *, require_checkpoints: bool) -> None:
        path = checkpoint_path()
        checkpoints = []
        if path.exists() and path.stat().st_size > 0:
            try:
                checkpoints = checkpoints_load(path, audit_keystore_open())
            except SigningUnavailable as e:
                raise CommandError(f"cannot check the checkpoints: {e}", returncode=EXIT_KEY_STORE) from e
            except CheckpointInvalid as e:
                raise CommandError(f"checkpoint invalid: {e}", returncode=EXIT_CHECKPOINT_INVALID) from e
        if not checkpoints:
            message = (
                f"no signed checkpoint in {path}: the chain is checked against itself only "
                "(run `partycard audit checkpoint`)"
            )
            if require_checkpoints:
                raise CommandError(message, returncode=EXIT_CHECKPOINT_INVALID)
            self.stderr.write(f"warning: {message}")
        report = audit_verify(checkpoints=checkpoints)
        if not report.ok:
            assert report.problem is not None
            raise CommandError(
                f"audit chain {report.problem.value.replace('_', ' ')} (after {report.checked} good rows): "
                f"{report.reason}",
                returncode=EXIT_CODES[report.problem],
            )
        last = (
            f"; the last signed at {checkpoints[-1].at.isoformat()} (row #{checkpoints[-1].seq})"
            if checkpoints
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.checked} rows, "
                f"checked against {report.checkpoints} signed checkpoints{last}"
            )
        )

    def _checkpoint(self) -> None:
        try:
            checkpoint = audit_checkpoint(
                at=clock.now(),
                store=audit_keystore_open(),
                path=checkpoint_path(),
                label=checkpoint_key_label(),
            )
        except SigningUnavailable as e:
            raise CommandError(f"cannot open the audit key: {e}", returncode=EXIT_KEY_STORE) from e
        except CheckpointInvalid as e:
            raise CommandError(f"checkpoint invalid: {e}", returncode=EXIT_CHECKPOINT_INVALID) from e
        except ChainBroken as e:
            problem = e.report.problem
            assert problem is not None
            raise CommandError(
                f"not signed: audit chain {problem.value.replace('_', ' ')}: {e.report.reason}",
                returncode=EXIT_CODES[problem],
            ) from e
        except TrustError as e:
            raise CommandError(f"the key store refused to sign: {e}", returncode=EXIT_KEY_STORE) from e
        self.stdout.write(
            f"audit checkpoint: row #{checkpoint.seq} signed with {checkpoint.key} in {checkpoint_path()}"
        )
