"""Structured logs carry the request id."""

from __future__ import annotations

import json
import logging

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
