"""The production static files storage: Django's manifest storage (content-hashed names, so nginx may cache
them for a year, immutable) with the ES module imports rewritten too.

The offline verifier, the member's app and the check-in page are ES modules that import each other
(``import … from "./verify.js"``). Django rewrites ``url()`` in CSS by default but module imports only with
``support_js_module_import_aggregation``; without it ``app.<hash>.js`` would import the unhashed
``verify.js``: cached for a year by browsers (a stale module after an upgrade) and missing from the service
worker's offline shell, whose list holds the hashed names (core/service_worker.py).

Before the first ``collectstatic`` there is no manifest: the plain names, so that management commands
(the URLconf calls ``static()`` when imported) and a server started without it work; nginx serves plain
names revalidated, never as immutable. Once a manifest exists, a name it lacks is an error (strict).
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

__all__ = ["HashedStaticFilesStorage"]


class HashedStaticFilesStorage(ManifestStaticFilesStorage):
    """ManifestStaticFilesStorage that also rewrites ``import``/``export … from`` in JavaScript."""

    support_js_module_import_aggregation = True

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest (collectstatic never ran here)
            return name
        return str(super().stored_name(name))
