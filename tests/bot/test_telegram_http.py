"""bot/telegram_http.py: PTB's requests on aiohttp, timeouts "not passed" taken from the request's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import TimedOut
from telegram.request import BaseRequest

from bot.telegram_http import AiohttpRequest, _or_default


def test_a_timeout_not_passed_is_the_requests_own_and_none_is_no_limit() -> None:
    assert _or_default(BaseRequest.DEFAULT_NONE, 5.0) == 5.0
    assert _or_default(None, 5.0) is None
    assert _or_default(0.5, 5.0) == 0.5


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A server whose /slow answers after 0.3 s."""

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response(text='{"ok": true}')

    app = web.Application()
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_the_read_timeout_is_the_requests_unless_the_call_passes_one(slow_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.1)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{slow_server}/slow", "POST")
        assert await request.do_request(f"{slow_server}/slow", "POST", read_timeout=2.0) == (200, b'{"ok": true}')
        assert (await request.do_request(f"{slow_server}/slow", "POST", read_timeout=None))[0] == 200
    finally:
        await request.shutdown()
