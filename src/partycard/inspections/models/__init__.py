from partycard.inspections.models.inspection import Inspection
from partycard.inspections.models.sample import Finding, SampledCase

__all__ = ["Finding", "Inspection", "SampledCase"]
