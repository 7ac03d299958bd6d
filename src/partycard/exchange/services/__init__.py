"""Writes of the exchange: card numbers, eligibility, case transitions (one at a time and in bulk), what a
member change does to cases, and the signed chip image of an accepted case."""

from partycard.exchange.services.card_numbers import MAX_BLOCK, SEQUENCE, card_numbers_allocate
from partycard.exchange.services.cases import (
    BulkOutcome,
    CaseError,
    actor_levels,
    case_propose,
    case_transition,
    cases_propose,
    cases_transition,
)
from partycard.exchange.services.chip_images import ChipImageError, chip_image_sign, chip_images_sign
from partycard.exchange.services.evaluation import (
    evaluate_members,
    facts_of,
    reason_text,
    reason_vi,
    reasons_vi,
    verdict_of,
)
from partycard.exchange.services.standing import cases_follow_member, members_reevaluate

__all__ = [
    "MAX_BLOCK",
    "SEQUENCE",
    "BulkOutcome",
    "CaseError",
    "ChipImageError",
    "actor_levels",
    "card_numbers_allocate",
    "case_propose",
    "case_transition",
    "cases_follow_member",
    "cases_propose",
    "cases_transition",
    "chip_image_sign",
    "chip_images_sign",
    "evaluate_members",
    "facts_of",
    "members_reevaluate",
    "reason_text",
    "reason_vi",
    "reasons_vi",
    "verdict_of",
]
