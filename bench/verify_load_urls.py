"""The project's URLs plus ``/bench-noop/``: a no-op JSON view, the baseline of bench/verify_load_bench.py.
Bench only (selected by bench/verify_load_settings.py)."""

import os
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path

from partycard.urls import urlpatterns as project_urlpatterns


def noop(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench-noop/", noop), *project_urlpatterns]


# BENCH_SHARED_VERIFIER=1: the change proposed for credentials/publishing.py, measured without editing
# src/: one QrVerifier per process, rebuilt when the trust material's TrustList object changes (
# core.signing.trust_material returns the same object until the files change or it re-verifies), the
# request's status lookup (it closes over the request's time) set on it per call.
if os.environ.get("BENCH_SHARED_VERIFIER") == "1":
    import threading

    from partycard.verify import qr as qr_verify

    _shared: dict[str, Any] = {}
    _lock = threading.Lock()

    def _qr_verdict_shared(
        text: str, *, trust: Any, root: Any, now: Any, status: Any, device_required: bool = True
    ) -> Any:
        verifier = _shared.get("verifier")
        if verifier is None or verifier.trust is not trust or verifier.root is not root:
            with _lock:
                verifier = qr_verify.QrVerifier(
                    trust=trust, root=root, status=status, device_required=device_required
                )
                _shared["verifier"] = verifier
        verifier._status = status  # bench only: the request's lookup (the proposal builds it once)
        return verifier.verdict(text, now=now)

    qr_verify.qr_verdict = _qr_verdict_shared
