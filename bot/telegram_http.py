"""python-telegram-bot's HTTP requests on aiohttp instead of httpx.

PTB makes every Bot API call through a ``BaseRequest`` (its documented extension point); the default,
``HTTPXRequest``, costs about 1.7 ms of CPU a call once a few calls run at once (httpcore's connection
pool: locks and cancel scopes for each request), aiohttp about 0.15 ms (measured on these machines
against the fake Bot API; see bench/README.md). A bot that answers a button with three or four calls
spent most of its time there. What PTB does above this layer (building the request, reading Telegram's
answer, turning error codes into ``RetryAfter``, ``Forbidden``, ``BadRequest``...) is unchanged.
"""

from __future__ import annotations

import functools
import logging
import urllib.request
from typing import cast
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

# A timeout argument: seconds, None (no limit), or BaseRequest.DEFAULT_NONE, PTB's public marker for "not passed"
# (its class and the ODVInput alias live in telegram._utils, private: typed here without them).
Timeout = float | None | object
_NOT_PASSED = type(BaseRequest.DEFAULT_NONE)  # as PTB's own HTTPXRequest, any such marker means "not passed"


def _or_default(value: Timeout, default: float | None) -> float | None:
    """The timeout a call asked for, or this request's own when it passed none."""
    return default if isinstance(value, _NOT_PASSED) else cast(float | None, value)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession`` (keep-alive connections, at most ``pool_size``).

    Timeouts as PTB's: ``connect`` (connecting, and waiting for a free connection: ``pool``), ``read``
    (waiting for the answer; getUpdates passes its own). aiohttp has no write timeout: a request that
    cannot be written runs into the read timeout.
    """

    def __init__(
        self,
        *,
        pool_size: int = 64,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size), headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _or_default(read_timeout, self._read_timeout)
        connect = _or_default(connect_timeout, self._connect_timeout)
        pool = _or_default(pool_timeout, self._pool_timeout)
        # aiohttp's `connect` covers the wait for a free connection and the connection itself.
        timeout = aiohttp.ClientTimeout(total=None, connect=None if connect is None or pool is None else connect + pool,
                                        sock_connect=connect, sock_read=read)
        kwargs: dict[str, object] = {}
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            kwargs["data"] = form
        elif request_data is not None and request_data.parameters:
            # The same fields as PTB's form (nested values as JSON strings), in a JSON body: Telegram
            # takes either, and this is one json.dumps.
            kwargs["data"] = request_data.json_payload
            kwargs["headers"] = {"Content-Type": "application/json"}
        try:
            async with self._session.request(method, url, timeout=timeout, proxy=_env_proxy(url), **kwargs) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


@functools.lru_cache(maxsize=64)  # a handful of URLs (one per Bot API method): not parsed at every call
def _env_proxy(url: str) -> str | None:
    """The proxy that HTTPS_PROXY / HTTP_PROXY / NO_PROXY give for this URL (httpx honours them by default)."""
    parts = urlsplit(url)
    return _proxy_for(parts.scheme, parts.hostname or "")


@functools.lru_cache(maxsize=16)
def _proxy_for(scheme: str, host: str) -> str | None:
    # Read once per host: aiohttp's own trust_env looks them up (and ~/.netrc) in a thread at every request.
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(scheme)
