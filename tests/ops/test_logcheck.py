"""The run's personal-data check (tests/logcheck.py) finds what it must, and only that."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

from tests.logcheck import REPO, PersonalData, logs_scan


def _log(path: Path, *messages: str) -> Path:
    path.write_text(
        "".join(json.dumps({"level": "INFO", "message": m}, ensure_ascii=False) + "\n" for m in messages),
        encoding="utf-8",
    )
    return path


def test_a_planted_citizen_id_is_found_by_file_and_line(tmp_path: Path) -> None:
    log = _log(tmp_path / "1.jsonl", "job 12 done: 500 cases", "member 001080012345 imported")
    (finding,) = logs_scan([log], PersonalData())
    assert (finding.path, finding.line, finding.what) == (log, 2, "a citizen ID")


def test_a_recorded_citizen_id_is_found_whatever_its_province_code(tmp_path: Path) -> None:
    data = PersonalData()
    data.add_citizen_id("999080012345")  # not a province code: found because a member has it
    log = _log(tmp_path / "1.jsonl", "lookup 999080012345")
    assert [f.what for f in logs_scan([log], data)] == ["a citizen ID"]
    assert logs_scan([_log(tmp_path / "2.jsonl", "lookup 999080012345")], PersonalData()) == []


def test_a_planted_member_name_is_found_as_written_decomposed_or_without_diacritics(tmp_path: Path) -> None:
    data = PersonalData()
    data.add_name("Phạm Quỳnh Hoa Zzz")  # not seed-like: found because it was recorded
    lines = [
        "transfer of Phạm Quỳnh Hoa Zzz refused",
        "export for pham quynh hoa zzz",
        unicodedata.normalize("NFD", "decomposed Phạm Quỳnh Hoa Zzz"),
        "job 3 finished",
    ]
    log = tmp_path / "1.jsonl"  # written with \u escapes: the check reads the JSON values
    log.write_text(
        "".join(json.dumps({"message": m}, ensure_ascii=True) + "\n" for m in lines), encoding="utf-8"
    )
    assert [(f.line, f.what) for f in logs_scan([log], data)] == [(n, "a member's name") for n in (1, 2, 3)]


def test_a_seed_built_name_is_found_and_an_organisation_name_is_not(tmp_path: Path) -> None:
    log = _log(
        tmp_path / "1.jsonl",
        "seeded Nguyễn Văn An into cell 12",
        "Đảng bộ phường Ba Đình: 40 members",
        "Chi bộ Giáo viên 1 closed its month",
    )
    assert [(f.line, f.what) for f in logs_scan([log], PersonalData())] == [(1, "a seeded member's name")]


def test_a_run_that_logs_personal_data_fails_naming_the_line_not_the_datum(tmp_path: Path) -> None:
    """A whole pytest session with the plugin: a test that logs a citizen ID passes, the session fails."""
    test_file = tmp_path / "test_leak.py"
    test_file.write_text(
        "import logging\n"
        "def test_leaks():\n"
        "    logging.getLogger('partycard.leak').warning('member %s checked', '001080012345')\n"
        "def test_clean():\n"
        "    logging.getLogger('partycard.leak').warning('member %d checked', 7)\n",
        encoding="utf-8",
    )
    log = tmp_path / "logs" / "run.jsonl"
    env = {
        **os.environ,
        "PARTYCARD_TEST_LOG": str(log),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    env.pop("PARTYCARD_LOG_DIR", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.logcheck"]
    done = subprocess.run(
        [*command, "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path), str(test_file)],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert "personal data in the logs" in done.stdout and "run.jsonl:1: a citizen ID" in done.stdout
    assert "001080012345" not in done.stdout + done.stderr
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2
