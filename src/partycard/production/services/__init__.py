"""Production's writes (docs/production.md): plan and release batches, build and seal their files, import
the manufacturer's reports and reconcile them. Re-exported here, where views, the CLI and jobs find them."""

from partycard.production.services.building import batch_build_chunk, batch_seal
from partycard.production.services.planning import batch_release, batches_plan, layout_approve, layout_proof
from partycard.production.services.reconciling import keys_import, report_import, sod_chunk, sod_seal

__all__ = [
    "batch_build_chunk",
    "batch_release",
    "batch_seal",
    "batches_plan",
    "keys_import",
    "layout_approve",
    "layout_proof",
    "report_import",
    "sod_chunk",
    "sod_seal",
]
