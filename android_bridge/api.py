"""The HTTP JSON API under ``/api/v1`` (aiohttp.web, pure Python, packageable by python-for-android).

Every endpoint but ``POST /api/v1/pair`` needs ``Authorization: Bearer <token>``; a missing or wrong token
gets the same bare 401 whatever the path, so nothing about the device or its jobs leaks. Errors are always
``{"error": "<one sentence>"}`` with a fitting status, never a traceback: the bridge's logic raises domain
errors and :data:`STATUS_OF` is the one place that maps them to HTTP statuses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from android_bridge.errors import ApiError, BeyondDeviceLimits, JobStateConflict, UnknownJob, WaitingForApp
from android_bridge.jobspec import parse_job
from android_bridge.openapi import openapi_document
from android_bridge.pairing import PairingRefused
from android_bridge.stores import pack_archive, pack_list, snapshot_copy, store_list, store_stats
from fmtc_nb.errors import FmtcError, JobConflict, RecoveryError, StoreNotFound
from fmtc_nb.pake import PairingMessageError

if TYPE_CHECKING:
    from android_bridge.bridge import Bridge

PREFIX = "/api/v1"
BRIDGE_KEY: web.AppKey[Bridge] = web.AppKey("bridge")
CLIENT_KEY = "paired_client"
#: Seconds between server-sent progress events of a running job.
EVENT_INTERVAL_S = 0.25
#: Seconds between keep-alive comments on an event stream whose job does not change.
KEEPALIVE_S = 10.0
#: Seconds an event may wait for a client that does not read before its stream is closed.
SEND_TIMEOUT_S = 30.0
_STREAM_CHUNK = 256 * 1024
log = logging.getLogger("android_bridge")

#: The HTTP status of each domain error (the first class that matches wins, so subclasses come first); any
#: other :class:`FmtcError` is a bad request (400).
STATUS_OF: tuple[tuple[type[FmtcError], int], ...] = (
    (BeyondDeviceLimits, 422),
    (UnknownJob, 404), (StoreNotFound, 404),
    (JobStateConflict, 409), (JobConflict, 409), (RecoveryError, 409),
    (WaitingForApp, 503),
    (FmtcError, 400),
)


def status_of(error: FmtcError) -> int:
    """The HTTP status that answers ``error`` (see :data:`STATUS_OF`)."""
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """``{"error": message}`` with ``status``."""
    return web.json_response({"error": message}, status=status, headers=headers)


def _unauthorized() -> web.Response:
    return error_response(401, "Unauthorized.", {"WWW-Authenticate": "Bearer"})


#: The endpoints that work without a token: they are how a client gets one.
PAIRING_PATHS = (f"{PREFIX}/pair", f"{PREFIX}/pair/start", f"{PREFIX}/pair/finish")


@web.middleware
async def errors_and_auth(request: web.Request, handler: Any) -> web.StreamResponse:
    """Check the bearer token (except for pairing), then turn every failure into a JSON error."""
    if not (request.path in PAIRING_PATHS and request.method == "POST"):
        client = request.app[BRIDGE_KEY].tokens.check(bearer_token(request.headers.get("Authorization", "")))
        if client is None:
            return _unauthorized()
        request[CLIENT_KEY] = client
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        messages = {404: "No such endpoint.", 405: f"Method {request.method} is not allowed here.",
                    413: "The request body is too large."}
        return error_response(exc.status, messages.get(exc.status, exc.reason), {
            k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")})
    except FmtcError as exc:
        return error_response(status_of(exc), str(exc))
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("internal error on %s %s", request.method, request.path)
        return error_response(500, "The device hit an internal error; the job state is unchanged.")


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header exactly as sent (RFC 6750: one space after the
    scheme, whose case does not matter), or None for any other form."""
    scheme, token = header[:7], header[7:]
    return token if scheme.lower() == "bearer " and token else None


async def read_body(request: web.Request) -> bytes:
    """The whole request body, however it is split into TCP sends or chunks; 413 once it exceeds the device's
    ``max_body_bytes`` (declared or not), 408 if it has not all arrived within ``body_timeout_s`` seconds."""
    config = request.app[BRIDGE_KEY].config
    limit = config.max_body_bytes
    too_large = ApiError(413, f"The request body is larger than {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = bytearray()

    async def gather() -> None:
        while chunk := await request.content.readany():
            body.extend(chunk)
            if len(body) > limit:
                raise too_large

    try:
        await asyncio.wait_for(gather(), config.body_timeout_s)
    except TimeoutError:
        raise ApiError(408, f"The request body did not arrive within {config.body_timeout_s:g} seconds.") from None
    return bytes(body)


async def read_json(request: web.Request) -> Any:
    """The request body as strict JSON (no NaN/Infinity), within the size limit; else a 400/408/413."""
    raw = await read_body(request)

    def reject(token: str) -> Any:
        raise ValueError(f"{token} is not valid JSON")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=reject)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON.") from None


# -- handlers ------------------------------------------------------------------------------------------------
async def get_openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3 document of this API."""
    return web.json_response(openapi_document())


async def get_device(request: web.Request) -> web.Response:
    """What the device is, its permission state and its limits."""
    bridge = request.app[BRIDGE_KEY]
    info = await asyncio.to_thread(bridge.platform.device_info)
    cfg = bridge.config
    return web.json_response({
        **asdict(info), "device_id": bridge.device_id, "bridge_version": bridge.version,
        "limits": {"max_tiles": cfg.max_tiles, "max_zoom": cfg.max_zoom, "max_body_bytes": cfg.max_body_bytes},
        "foreground": bridge.foreground.in_foreground, "wake_lock": bridge.foreground.wake_lock_held,
        "active_jobs": bridge.jobs.active_count(),
    })


def _refused(exc: PairingRefused) -> ApiError:
    headers = {"Retry-After": str(int(exc.retry_after_s) + 1)} if exc.retry_after_s is not None else None
    return ApiError(exc.status, str(exc), headers)


def _client_name(body: dict[str, Any]) -> str:
    name = body.get("name", "notebook")
    if not isinstance(name, str) or not 0 < len(name) <= 100 or not name.isprintable():
        raise ApiError(400, "The name must be 1-100 printable characters.")
    return name


async def post_pair(request: web.Request) -> web.Response:
    """Trade the code the device shows for a bearer token, in plain (loopback only: on the LAN the code and
    the token would cross the Wi-Fi, so only the exchange of ``/pair/start`` works there)."""
    bridge = request.app[BRIDGE_KEY]
    if bridge.config.lan:
        raise ApiError(403, "On the LAN the pairing code never crosses the network: pair with `fmtc-nb device pair` "
                            "(the exchange of /api/v1/pair/start), not by sending the code.")
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"code", "name"} or "code" not in body:
        raise ApiError(400, 'The body must be {"code": "<six digits>", "name": "<your notebook>"}.')
    name = _client_name(body)
    try:
        bridge.pairing.redeem(body["code"])
    except PairingRefused as exc:
        raise _refused(exc) from None
    client, token = bridge.tokens.issue(name)
    return web.json_response({"token": token, "client_id": client.id, "device_id": bridge.device_id}, status=201)


async def post_pair_start(request: web.Request) -> web.Response:
    """Pairing without sending the code: the client's SPAKE2 message in, the bridge's and its confirmation out
    (see :mod:`fmtc_nb.pake`)."""
    bridge = request.app[BRIDGE_KEY]
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"msg", "name"} or "msg" not in body:
        raise ApiError(400, 'The body must be {"msg": "<base64 SPAKE2 message>", "name": "<your notebook>"}.')
    try:
        answer = bridge.pake.start(bridge.pairing, bridge.fingerprint, _client_name(body), body["msg"])
    except PairingRefused as exc:
        raise _refused(exc) from None
    except PairingMessageError as exc:
        raise ApiError(400, str(exc)) from None
    return web.json_response(answer | {"device_id": bridge.device_id})


async def post_pair_finish(request: web.Request) -> web.Response:
    """The client's confirmation in; its bearer token out, sealed under the exchange's key."""
    bridge = request.app[BRIDGE_KEY]
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) != {"session", "confirm"}:
        raise ApiError(400, 'The body must be {"session": "<id>", "confirm": "<base64 confirmation>"}.')
    try:
        client, box = bridge.pake.finish(bridge.pairing, body["session"], body["confirm"], bridge.tokens.issue)
    except PairingRefused as exc:
        raise _refused(exc) from None
    except PairingMessageError as exc:
        raise ApiError(400, str(exc)) from None
    return web.json_response({"box": box, "client_id": client.id, "device_id": bridge.device_id}, status=201)


async def delete_pair(request: web.Request) -> web.Response:
    """Revoke the caller's own token (unpair)."""
    bridge = request.app[BRIDGE_KEY]
    bridge.tokens.revoke(request[CLIENT_KEY].id)
    return web.json_response({"revoked": True})


async def get_jobs(request: web.Request) -> web.Response:
    """Every job of this device, newest state first-class for the active ones."""
    jobs = await asyncio.to_thread(request.app[BRIDGE_KEY].jobs.rows)
    return web.json_response({"jobs": [row.to_dict() for row in jobs]})


async def post_jobs(request: web.Request) -> web.Response:
    """Start a job (body: ``DownloadJob.to_dict()``)."""
    bridge = request.app[BRIDGE_KEY]
    body = await read_json(request)
    job = await asyncio.to_thread(parse_job, body, bridge.config)  # the cover is counted off the event loop
    row = await asyncio.to_thread(bridge.jobs.dispatch, job)
    return web.json_response(row.to_dict(), status=201)


async def _job_id(request: web.Request) -> str:
    """The full id of the job the path names by its id or a unique prefix of it (as the CLI takes them)."""
    job_id = request.match_info["job_id"]
    if not 0 < len(job_id) <= 100 or not job_id.isprintable():
        raise UnknownJob("No such job on this device.")
    return await asyncio.to_thread(request.app[BRIDGE_KEY].jobs.resolve, job_id)


async def get_job(request: web.Request) -> web.Response:
    """One job with its full snapshot while active."""
    job_id = await _job_id(request)
    row = await asyncio.to_thread(request.app[BRIDGE_KEY].jobs.row, job_id)
    return web.json_response(row.to_dict())


async def post_job_action(request: web.Request) -> web.Response:
    """pause, resume or cancel a job."""
    manager = request.app[BRIDGE_KEY].jobs
    verb = request.path.rsplit("/", 1)[1]
    action = {"pause": manager.pause, "resume": manager.resume, "cancel": manager.cancel}[verb]
    job_id = await _job_id(request)
    row = await asyncio.to_thread(action, job_id)
    return web.json_response(row.to_dict())


async def get_job_events(request: web.Request) -> web.StreamResponse:
    """Live progress as server-sent events: ``progress`` events with the engine's snapshot fields, then ``end``.
    A client that goes away (or stops reading for ``SEND_TIMEOUT_S``) just ends its stream."""
    manager = request.app[BRIDGE_KEY].jobs
    job_id = await _job_id(request)
    event, active = await asyncio.to_thread(manager.events_state, job_id)  # 404 before the stream starts
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)

    async def send(chunk: bytes) -> None:
        await asyncio.wait_for(response.write(chunk), SEND_TIMEOUT_S)

    last, quiet = None, 0.0
    try:
        while True:
            text = json.dumps(event.to_dict())
            if text != last:
                await send(f"event: progress\ndata: {text}\n\n".encode())
                last, quiet = text, 0.0
            elif quiet >= KEEPALIVE_S:
                await send(b": keep-alive\n\n")
                quiet = 0.0
            if not active:
                await send(f"event: end\ndata: {text}\n\n".encode())
                break
            await asyncio.sleep(EVENT_INTERVAL_S)
            quiet += EVENT_INTERVAL_S
            event, active = manager.events_state(job_id)
        await response.write_eof()
    except (TimeoutError, ConnectionError):  # the client left or stopped reading: nothing to report
        if request.transport is not None:
            request.transport.abort()
    return response


async def get_recovery(request: web.Request) -> web.Response:
    """The recovery registry of the device: one record per job, live ones marked running."""
    rows = await asyncio.to_thread(request.app[BRIDGE_KEY].jobs.recovery_rows)
    return web.json_response({"jobs": [row.to_dict() for row in rows]})


async def get_stores(request: web.Request) -> web.Response:
    """Names of the device's stores."""
    return web.json_response({"stores": await asyncio.to_thread(store_list, request.app[BRIDGE_KEY].store_root)})


async def get_store_stats(request: web.Request) -> web.Response:
    """A store's statistics."""
    bridge = request.app[BRIDGE_KEY]
    return web.json_response(await asyncio.to_thread(store_stats, bridge.store_root, request.match_info["name"]))


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value naming ``filename`` (RFC 6266): an ASCII ``filename`` for old clients
    (other characters, quotes and backslashes as ``_``) and the exact name as UTF-8 in ``filename*``."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def get_store_file(request: web.Request) -> web.StreamResponse:
    """The store as one MBTiles file: a consistent copy taken with SQLite's online backup, streamed."""
    bridge = request.app[BRIDGE_KEY]
    name = request.match_info["name"]
    path = await asyncio.to_thread(snapshot_copy, bridge.store_root, name, bridge.config.state_dir / "exports")
    return await stream_copy(request, path, "application/vnd.sqlite3", f"{name}.mbtiles")


async def get_packs(request: web.Request) -> web.Response:
    """Names of the device's style packs."""
    return web.json_response({"packs": await asyncio.to_thread(pack_list, request.app[BRIDGE_KEY].store_root)})


async def get_pack_file(request: web.Request) -> web.StreamResponse:
    """A pack's folder (manifest, style, sprites, glyphs) as one tar file; its stores come as stores."""
    bridge = request.app[BRIDGE_KEY]
    name = request.match_info["name"]
    path = await asyncio.to_thread(pack_archive, bridge.store_root, name, bridge.config.state_dir / "exports")
    return await stream_copy(request, path, "application/x-tar", f"{name}.tar")


async def stream_copy(request: web.Request, path: Path, content_type: str, filename: str) -> web.StreamResponse:
    """Stream the temporary copy ``path`` as the attachment ``filename``; the copy is unlinked at once (open, it
    stays readable), so a crash leaves none behind."""
    try:
        handle = open(path, "rb")  # noqa: SIM115  (closed below)
    finally:
        os.unlink(path)
    with handle:
        size = os.fstat(handle.fileno()).st_size
        response = web.StreamResponse(headers={
            "Content-Type": content_type, "Content-Length": str(size), "Content-Disposition": attachment(filename)})
        await response.prepare(request)
        while chunk := await asyncio.to_thread(handle.read, _STREAM_CHUNK):
            await response.write(chunk)
        await response.write_eof()
    return response


def build_app(bridge: Bridge) -> web.Application:
    """The aiohttp application of ``bridge``."""
    app = web.Application(middlewares=[errors_and_auth], client_max_size=bridge.config.max_body_bytes)
    app[BRIDGE_KEY] = bridge
    r = app.router
    r.add_get(f"{PREFIX}/openapi.json", get_openapi)
    r.add_get(f"{PREFIX}/device", get_device)
    r.add_post(f"{PREFIX}/pair", post_pair)
    r.add_post(f"{PREFIX}/pair/start", post_pair_start)
    r.add_post(f"{PREFIX}/pair/finish", post_pair_finish)
    r.add_delete(f"{PREFIX}/pair", delete_pair)
    r.add_get(f"{PREFIX}/jobs", get_jobs)
    r.add_post(f"{PREFIX}/jobs", post_jobs)
    r.add_get(f"{PREFIX}/jobs/{{job_id}}", get_job)
    r.add_get(f"{PREFIX}/jobs/{{job_id}}/events", get_job_events)
    for action in ("pause", "resume", "cancel"):
        r.add_post(f"{PREFIX}/jobs/{{job_id}}/{action}", post_job_action)
    r.add_get(f"{PREFIX}/recovery", get_recovery)
    r.add_get(f"{PREFIX}/stores", get_stores)
    r.add_get(f"{PREFIX}/stores/{{name}}/stats", get_store_stats)
    r.add_get(f"{PREFIX}/stores/{{name}}.mbtiles", get_store_file)
    r.add_get(f"{PREFIX}/packs", get_packs)
    r.add_get(f"{PREFIX}/packs/{{name}}.tar", get_pack_file)
    return app
