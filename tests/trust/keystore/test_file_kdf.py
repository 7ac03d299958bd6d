"""FileKeyStore's key derivation (issue 18): scrypt (RFC 7914) inside standard PBES2 PKCS#8 (RFC 8018
§6.2, RFC 5958), its parameters in each file, and the migration of the PBKDF2 files written before.

The file format is checked from outside the module: the ASN.1 read with asn1crypto's generic parser
(RFC 7914 §7: id-scrypt 1.3.6.1.4.1.11591.4.11, scrypt-params SEQUENCE {salt, costParameter, blockSize,
parallelizationParameter, keyLength}) and the file opened by OpenSSL and by ``cryptography`` with the
passphrase alone.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import core, pem
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.keystore import BadPassphrase
from partycard.trust.keystore import file as file_module
from partycard.trust.keystore.file import DEFAULT_SCRYPT, FileKeyStore, ScryptParams

PASS = b"correct horse battery staple"
LOW = ScryptParams(n=1 << 10, r=8, p=1)  # cheap, for the tests that need many derivations
PBES2, PBKDF2, SCRYPT = "1.2.840.113549.1.5.13", "1.2.840.113549.1.5.12", "1.3.6.1.4.1.11591.4.11"


def _kdf_of(path: Path) -> tuple[str, dict[str, object]]:
    """The PBES2 key derivation OID of a key file and, for scrypt, its parameters (generic ASN.1)."""
    kind, _, der = pem.unarmor(path.read_bytes())
    assert kind == "ENCRYPTED PRIVATE KEY"
    info = core.Sequence.load(der)
    algorithm = info[0]
    assert algorithm[0].dotted == PBES2  # type: ignore[union-attr]
    kdf = algorithm[1][0]  # PBES2-params.keyDerivationFunc
    oid = kdf[0].dotted
    if oid != SCRYPT:
        return oid, {}
    salt, n, r, p, length = (kdf[1][i] for i in range(5))
    return oid, {"salt": salt.contents, "n": n.native, "r": r.native, "p": p.native, "length": length.native}


def _legacy(directory: Path, label: str) -> ec.EllipticCurvePrivateKey:
    """A key file as FileKeyStore wrote it before scrypt: BestAvailableEncryption (PBES2-PBKDF2)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    content = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASS),
    )
    path = directory / f"{label}.key.pem"
    path.write_bytes(content)
    path.chmod(0o600)
    assert _kdf_of(path)[0] == PBKDF2
    return key


def _verifies(public: ec.EllipticCurvePublicKey, store: FileKeyStore, label: str) -> bool:
    public.verify(store.sign(label, b"data"), b"data", ec.ECDSA(hashes.SHA256()))
    return True


def test_new_files_are_pbes2_scrypt_with_the_default_parameters(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS)
    public = store.generate("root")
    oid, params = _kdf_of(tmp_path / "root.key.pem")
    assert oid == SCRYPT
    assert (params["n"], params["r"], params["p"], params["length"]) == (1 << 14, 8, 8, 32)
    assert len(params["salt"]) == 16  # type: ignore[arg-type]
    assert ScryptParams(n=1 << 14, r=8, p=8) == DEFAULT_SCRYPT
    # A standard file: cryptography and OpenSSL open it with the passphrase alone.
    content = (tmp_path / "root.key.pem").read_bytes()
    key = serialization.load_pem_private_key(content, password=PASS)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == public.public_numbers()
    if shutil.which("openssl"):
        opened = subprocess.run(
            ["openssl", "pkey", "-in", str(tmp_path / "root.key.pem"), "-passin", "env:PASS", "-pubout"],
            env={"PASS": PASS.decode(), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            check=True,
        ).stdout
        assert opened == public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def test_the_files_of_a_store_share_one_salt(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS, kdf=LOW)
    for label in ("a", "b", "c"):
        store.generate(label)
    reopened = FileKeyStore(tmp_path, PASS, kdf=LOW)
    reopened.generate("d")  # a later run: the store's salt, read back from its files
    salts = {_kdf_of(tmp_path / f"{label}.key.pem")[1]["salt"] for label in "abcd"}
    assert len(salts) == 1


def test_a_pbkdf2_file_is_migrated_on_first_unlock(tmp_path: Path) -> None:
    old = _legacy(tmp_path, "ds-1")
    store = FileKeyStore(tmp_path, PASS, kdf=LOW)  # opening unlocks the first key
    path = tmp_path / "ds-1.key.pem"
    oid, params = _kdf_of(path)
    assert oid == SCRYPT and (params["n"], params["r"], params["p"]) == (LOW.n, LOW.r, LOW.p)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds-1.key.pem"]  # no temporary file left
    assert _verifies(old.public_key(), store, "ds-1")  # the same key, not a new one
    again = FileKeyStore(tmp_path, PASS, kdf=LOW)
    assert _verifies(old.public_key(), again, "ds-1")


def test_a_wrong_passphrase_leaves_a_pbkdf2_file_untouched(tmp_path: Path) -> None:
    _legacy(tmp_path, "root")
    before = (tmp_path / "root.key.pem").read_bytes()
    with pytest.raises(BadPassphrase):
        FileKeyStore(tmp_path, b"not the passphrase", kdf=LOW)
    assert (tmp_path / "root.key.pem").read_bytes() == before


def test_upgrade_rewrites_every_weaker_file_at_once(tmp_path: Path) -> None:
    keys = {label: _legacy(tmp_path, label) for label in ("chip-case-1", "ds-1", "root")}
    low = FileKeyStore(tmp_path, PASS, kdf=LOW)  # unlocks (and migrates) only the first
    assert [_kdf_of(tmp_path / f"{label}.key.pem")[0] for label in sorted(keys)] == [SCRYPT, PBKDF2, PBKDF2]
    assert low.upgrade() == ["ds-1", "root"]
    assert low.upgrade() == []
    # The cost raised later: a store opened with higher parameters rewrites what is below them.
    higher = ScryptParams(n=1 << 11, r=8, p=2)
    raised = FileKeyStore(tmp_path, PASS, kdf=higher)
    assert raised.upgrade() == ["ds-1", "root"]  # chip-case-1 was rewritten when the store opened
    for label, key in keys.items():
        _, params = _kdf_of(tmp_path / f"{label}.key.pem")
        assert (params["n"], params["p"]) == (1 << 11, 2)
        assert _verifies(key.public_key(), raised, label)
    # Never lowered: a store opened with the cheaper cost leaves the stronger files as they are.
    before = {label: (tmp_path / f"{label}.key.pem").read_bytes() for label in keys}
    assert FileKeyStore(tmp_path, PASS, kdf=LOW).upgrade() == []
    assert before == {label: (tmp_path / f"{label}.key.pem").read_bytes() for label in keys}


def test_concurrent_first_unlocks_of_a_pbkdf2_store_agree(tmp_path: Path) -> None:
    keys = {label: _legacy(tmp_path, label) for label in ("a", "b", "c", "d")}

    def open_and_sign(_: int) -> bool:
        store = FileKeyStore(tmp_path, PASS, kdf=LOW)
        return all(_verifies(keys[label].public_key(), store, label) for label in sorted(keys))

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(open_and_sign, range(8)))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{label}.key.pem" for label in sorted(keys)]
    assert {_kdf_of(tmp_path / f"{label}.key.pem")[0] for label in keys} == {SCRYPT}


def test_parameters_beyond_the_bounds_are_refused_without_deriving(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS, kdf=LOW)
    store.generate("root")
    path = tmp_path / "root.key.pem"
    kind, _, der = pem.unarmor(path.read_bytes())
    # The same file claiming N = 2^30 (128 GiB at r = 8): planted to exhaust the machine at unlock.
    info = file_module._EncryptedPrivateKeyInfo.load(der)
    pbes2 = file_module._Pbes2Params.load(info["encryption_algorithm"]["parameters"].dump())
    scrypt = file_module._ScryptAsn1.load(pbes2["key_derivation_func"]["parameters"].dump())
    huge = file_module._ScryptAsn1({**scrypt.native, "cost_parameter": 1 << 30})
    spoiled_pbes2 = file_module._Pbes2Params(
        {
            "key_derivation_func": {"algorithm": SCRYPT, "parameters": core.Any.load(huge.dump())},
            "encryption_scheme": pbes2["encryption_scheme"],
        }
    )
    spoiled = file_module._EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {"algorithm": PBES2, "parameters": core.Any.load(spoiled_pbes2.dump())},
            "encrypted_data": info["encrypted_data"],
        }
    )
    path.write_bytes(pem.armor(kind, spoiled.dump()))
    assert _kdf_of(path)[1]["n"] == 1 << 30
    file_module._derived.clear()
    started = time.perf_counter()
    with pytest.raises(BadPassphrase):
        FileKeyStore(tmp_path, PASS, kdf=LOW)
    assert time.perf_counter() - started < 1.0  # refused before any derivation


@pytest.mark.parametrize(
    "params", [(1, 8, 1), (3 << 10, 8, 1), (1 << 10, 0, 1), (1 << 10, 8, 0), (1 << 24, 64, 1)]
)
def test_scrypt_parameters_are_checked(params: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        ScryptParams(*params)


def test_one_unlock_costs_one_derivation_for_the_whole_store(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS)  # the default cost
    for label in ("a", "b", "c", "d", "e"):
        store.generate(label)
    file_module._derived.clear()
    started = time.perf_counter()
    reopened = FileKeyStore(tmp_path, PASS)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for label in ("b", "c", "d", "e"):
        reopened.public_key(label)
    rest = time.perf_counter() - started
    assert rest < first  # four more keys cost less than the one derivation the first took
