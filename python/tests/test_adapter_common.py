"""The adapters' shared body reading: bounded, so a huge body is never read whole."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import AsyncIterator, List

import pytest

from kompliant_webhooks import UnknownKeyError
from kompliant_webhooks._adapter import log_refusal, read_at_most, read_at_most_async


class EndlessStream:
    """A request stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def read(self, n: int) -> bytes:
        self.served += n
        return b"x" * n


def test_reading_stops_one_byte_past_the_limit() -> None:
    stream = EndlessStream()
    body = read_at_most(stream.read, 1000)
    assert len(body) == 1001 and stream.served == 1001
    assert read_at_most(io.BytesIO(b"abc").read, 1000) == b"abc"
    assert read_at_most(io.BytesIO(b"").read, 0) == b""
    big = bytes(range(256)) * 1000
    assert read_at_most(io.BytesIO(big).read, len(big)) == big


def test_async_reading_stops_past_the_limit() -> None:
    pulled: List[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(1_000_000):
            pulled.append(n)
            yield b"y" * 100

    body = asyncio.run(read_at_most_async(chunks(), 250))
    assert len(body) == 300 and len(pulled) == 3


def test_refusals_are_logged_with_code_and_reason(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kompliant_webhooks"):
        log_refusal(UnknownKeyError("unknown key id \"whk_1\"", key_id="whk_1"), "10.0.0.1")
    (record,) = caplog.records
    assert record.name == "kompliant_webhooks"
    assert "UNKNOWN_KEY" in record.getMessage() and "whk_1" in record.getMessage()
    assert "10.0.0.1" in record.getMessage() and "503" in record.getMessage()
