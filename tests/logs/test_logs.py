"""Structured logs carry the request id."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from plaudit.logs import JsonFormatter, request_id_var, setup_logging


def test_json_lines_carry_the_request_id_and_extras(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(json_lines=True, level="INFO")
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("plaudit.test").info("hello %s", "world", extra={"status": 201})
    finally:
        request_id_var.reset(token)
        logging.getLogger().handlers[:] = []
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["msg"] == "hello world"
    assert line["request_id"] == "req-42"
    assert line["status"] == 201
    assert line["level"] == "INFO"
    assert isinstance(JsonFormatter(), logging.Formatter)


def test_records_go_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server thread logging after its stderr was swapped and closed (a test runner ending a
    capture, a supervisor reopening logs) writes to the new one instead of failing."""
    setup_logging(json_lines=True, level="INFO")
    try:
        first, second = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stderr", first)
        logging.getLogger("plaudit.test").info("one")
        first.close()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("plaudit.test").info("two")
    finally:
        logging.getLogger().handlers[:] = []
    assert json.loads(second.getvalue().strip())["msg"] == "two"
