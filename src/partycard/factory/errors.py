"""Errors of ``partycard-factory``: one root, flat subclasses named after what failed, each with the exit
code the command ends with, so that a bureau's scripts can tell a replay from a tampered file.

=====  =====================================================================================
exit   meaning
=====  =====================================================================================
0      done (spoiled cards are an outcome, listed in the report, not an error)
1      an unexpected failure (a bug: the message and a traceback go to stderr)
2      usage: bad arguments, an unknown card number in ``--spoil``
3      the factory directory: not initialised, already initialised, busy, passphrase, trust, ledger
4      the file is truncated or not the kind of file expected
5      the file is not addressed to this manufacturer
6      the file was changed in transit (its authentication tag fails)
7      the signature does not verify
8      the signer is not the Party's document signer (or not trusted for this file)
9      the content is malformed (format, fields, manifest)
10     replay: this file or batch was already processed
11     the SOD file does not answer our key report (keys_sha256, cards, serials)
=====  =====================================================================================
"""

from __future__ import annotations

__all__ = [
    "BatchReplayed",
    "DirectoryAlreadyInitialised",
    "DirectoryBusy",
    "DirectoryNotInitialised",
    "FactoryError",
    "FileContentInvalid",
    "FileMalformed",
    "FileNotForUs",
    "FileSignatureInvalid",
    "FileSignerUntrusted",
    "FileTampered",
    "LedgerDamaged",
    "PassphraseInvalid",
    "SodMismatch",
    "TrustInvalid",
    "TrustNotInstalled",
    "UsageError",
]


class FactoryError(Exception):
    """Root of every error ``partycard.factory`` raises; ``exit_code`` is the command's exit status."""

    exit_code = 1


class UsageError(FactoryError):
    """The arguments do not make sense for this file (e.g. ``--spoil`` names a card not in the batch)."""

    exit_code = 2


class DirectoryNotInitialised(FactoryError):
    """The factory directory has no keys: run ``partycard-factory init`` first."""

    exit_code = 3


class DirectoryAlreadyInitialised(FactoryError):
    """``init`` on a directory that already holds the factory's keys (keys are never replaced)."""

    exit_code = 3


class DirectoryBusy(FactoryError):
    """Another ``partycard-factory`` is working in the directory (its lock is held)."""

    exit_code = 3


class LedgerDamaged(FactoryError):
    """``DIR/ledger.jsonl`` has a line that is not an event (edited by hand, or the disk failed)."""

    exit_code = 3


class PassphraseInvalid(FactoryError):
    """``PARTYCARD_FACTORY_PASSPHRASE`` is missing, too short, or does not open the keys."""

    exit_code = 3


class TrustNotInstalled(FactoryError):
    """The Party's root and the factory's certificates are not in ``DIR/certs`` yet (``trust``)."""

    exit_code = 3


class TrustInvalid(FactoryError):
    """A certificate offered to ``trust`` is not the one expected (wrong key, issuer, usage, dates)."""

    exit_code = 3


class FileMalformed(FactoryError):
    """The file is truncated or is not a CMS file of the expected kind."""

    exit_code = 4


class FileNotForUs(FactoryError):
    """The file is encrypted to another recipient, not this manufacturer's encryption certificate."""

    exit_code = 5


class FileTampered(FactoryError):
    """The file was changed after it was sealed: the AES-GCM authentication tag does not verify."""

    exit_code = 6


class FileSignatureInvalid(FactoryError):
    """The CMS signature does not verify over the content."""

    exit_code = 7


class FileSignerUntrusted(FactoryError):
    """The signer is not a document signer issued by the Party's root (or not valid at the time)."""

    exit_code = 8


class FileContentInvalid(FactoryError):
    """The signed content is malformed: wrong format tag, a missing field, a manifest mismatch."""

    exit_code = 9


class BatchReplayed(FactoryError):
    """This file, or another with the same batch code, was already processed (the ledger says when)."""

    exit_code = 10


class SodMismatch(FactoryError):
    """The SOD file is not the answer to our key report: another ``keys_sha256``, or cards we never
    reported as personalised."""

    exit_code = 11
