"""The one rule for key labels, shared by every store: a label is also a file name or a token label."""

from __future__ import annotations

import re

from partycard.trust.keystore import InvalidLabel

__all__ = ["check_label"]

# Letters, digits, dot, underscore, hyphen; never a path separator, never starting with "." (so neither
# ".." nor a hidden file), at most 64 characters (comfortably inside a PKCS#11 CKA_LABEL and a file name).
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_label(label: str) -> str:
    """Return ``label`` unchanged if it is safe to use as a file name and token label.

    Raises:
        InvalidLabel: anything else, e.g. ``"../x"``, ``"a/b"``, ``""``, ``".hidden"``.
    """
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise InvalidLabel(
            f"invalid key label {label!r}: use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
        )
    return label
