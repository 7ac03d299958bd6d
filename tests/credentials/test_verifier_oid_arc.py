"""The offline verifier takes the deployment's OID arc from its page configuration (der.js oidArcSet), so
that it reads certificates issued under PARTYCARD_OID_ARC as trust/oids.py does."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from django.contrib.staticfiles import finders

SCRIPT = """
import { OID, oidArcSet, DerError } from %s;
const out = { before: OID.trustListSigning };
oidArcSet("2.999.17");
out.after = [OID.documentTypeList, OID.trustListSigning];
out.refused = ["", "1.3", "3.1.2", "1.3.06.1", null].map((arc) => {
  try { oidArcSet(arc); return false; } catch (e) { return e instanceof DerError; }
});
console.log(JSON.stringify(out));
"""


def test_der_js_puts_the_oids_under_the_configured_arc() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    der = finders.find("verifier/der.js")
    assert isinstance(der, str)
    result = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT % json.dumps(f"file://{der}")],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    out = json.loads(result.stdout)
    assert out["before"] == "1.3.6.1.4.1.32473.1.2"  # trust/oids.py's DEFAULT_ARC + ".2"
    assert out["after"] == ["2.999.17.1", "2.999.17.2"]
    assert out["refused"] == [True] * 5
