"""The JSON log format and the personal-data redaction filter (ops/logs.py)."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from partycard.ops.logs import (
    REDACTED,
    JsonFormatter,
    PidFileHandler,
    PiiRedactionFilter,
    logging_config,
    pii_redact,
    request_id_var,
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own, not propagating: what it logs reaches neither the console nor the run's logs,
    only ``stream``, through the production formatter and filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PiiRedactionFilter())
    logger = logging.getLogger("partycard.tests.ops.logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_object_with_time_level_logger_message_and_request_id(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    token = request_id_var.set("0123456789abcdef0123456789abcdef")
    try:
        logger.warning("job %d: %s cases moved", 42, 7, extra={"job_id": 42})
    finally:
        request_id_var.reset(token)
    logger.info("outside a request")
    first, second = _lines(stream)
    assert first["level"] == "WARNING" and first["logger"] == "partycard.tests.ops.logs"
    assert first["message"] == "job 42: 7 cases moved"
    assert first["request_id"] == "0123456789abcdef0123456789abcdef"
    assert first["job_id"] == 42 and first["process"] == os.getpid()
    assert str(first["time"]).endswith("+00:00") and "T" in str(first["time"])
    assert "request_id" not in second


def test_the_traceback_is_in_exc_info(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise RuntimeError("the worker's database went away")
    except RuntimeError:
        logger.exception("sweep failed")
    (line,) = _lines(stream)
    assert line["message"] == "sweep failed"
    assert "Traceback" in str(line["exc_info"]) and "RuntimeError: the worker's database went away" in str(
        line["exc_info"]
    )


def test_citizen_ids_and_phone_numbers_are_redacted_in_message_args_and_traceback(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("member with citizen ID 001080012345 called from 0912 345 678")
    logger.info("lookup %s by %s", "079195000123", "+84 912.345.678")
    try:
        raise ValueError("duplicate key (citizen_id)=(001080099999)")
    except ValueError:
        logger.exception("import of row 3 failed")
    text = stream.getvalue()
    for datum in ("001080012345", "0912 345 678", "079195000123", "912.345.678", "001080099999"):
        assert datum not in text
    first, second, third = _lines(stream)
    assert first["message"] == f"member with citizen ID {REDACTED} called from {REDACTED}"
    assert second["message"] == f"lookup {REDACTED} by {REDACTED}"
    assert REDACTED in str(third["exc_info"])


def test_ids_counts_and_times_are_left_alone() -> None:
    for text in ("job 1234 moved 5000 cases in 12.5 s", "card 0001234567 scanned", "at 2026-12-07 13:46:34"):
        # A card number is 10 digits starting 000: no mobile or landline prefix after the 0.
        assert pii_redact(text) == text
    assert pii_redact("1796651863621 ms") == "1796651863621 ms"  # 13 digits: not a citizen ID


def test_the_logging_setting_selects_json_or_plain_and_refuses_anything_else(tmp_path: Path) -> None:
    config = logging_config(log_format="json")
    assert config["handlers"]["console"]["formatter"] == "json"
    assert config["handlers"]["console"]["filters"] == ["redact_pii"]
    assert "log_dir" not in config["handlers"]
    assert logging_config(log_format="plain")["handlers"]["console"]["formatter"] == "plain"
    with pytest.raises(ValueError, match="PARTYCARD_LOG_FORMAT"):
        logging_config(log_format="xml")
    with_dir = logging_config(log_format="plain", log_dir=str(tmp_path))
    assert with_dir["root"]["handlers"] == ["log_dir", "console"]  # unredacted: it sees the record first


def test_the_production_settings_log_json_lines(tmp_path: Path) -> None:
    """prod.py's LOGGING, applied in a process of its own: a JSON line on standard error."""
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partycard.settings.prod",
        "DJANGO_SECRET_KEY": "x" * 50,
        "PARTYCARD_TOTP_KEYS": Fernet.generate_key().decode(),
        "PARTYCARD_VAR": str(tmp_path),
    }
    env.pop("PARTYCARD_LOG_FORMAT", None)
    script = "import django, logging; django.setup(); logging.getLogger('partycard.x').warning('ready %d', 1)"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "ready 1" and line["level"] == "WARNING" and line["logger"] == "partycard.x"


def test_the_pid_file_handler_writes_one_file_per_process(tmp_path: Path) -> None:
    handler = PidFileHandler(str(tmp_path / "logs"))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("partycard.tests.ops.pidfile")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("first")
        pid = os.fork()
        if pid == 0:  # the child: its own file
            logger.warning("from the child")
            handler.close()
            os._exit(0)
        os.waitpid(pid, 0)
        logger.warning("second")
    finally:
        logger.removeHandler(handler)
        handler.close()
    mine = (tmp_path / "logs" / f"{os.getpid()}.jsonl").read_text().splitlines()
    child = (tmp_path / "logs" / f"{pid}.jsonl").read_text().splitlines()
    assert [json.loads(x)["message"] for x in mine] == ["first", "second"]
    assert [json.loads(x)["message"] for x in child] == ["from the child"]
