"""The OpenAPI 3 document of the bridge's API, served at ``/api/v1/openapi.json`` (a test keeps it true)."""

from __future__ import annotations

from dataclasses import fields
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from android_bridge import __version__
from fmtc_nb.android.joboptions import PHONE_OPTION_DEFAULTS
from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.wire import JobRow


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Malformed request", 401: "Missing or wrong token (nothing else is revealed)",
            403: "Wrong or expired pairing code", 404: "Unknown job or store", 408: "Request body did not arrive in time",
            409: "Conflicting job state", 413: "Request body too large", 422: "Beyond the device's limits",
            429: "Pairing locked",
            503: "Android refused to start downloading from the background: the job is saved, paused, and starts "
                 "when the app is opened"}
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


_NUM = {"type": "number"}
_INT = {"type": "integer"}
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NNUM = {"type": ["number", "null"]}


#: A job's options: fmtc_nb.engine.DownloadOptions fields by name (unknown names refused); the two whose default
#: on a phone differs from the engine's are described (fmtc_nb.android.joboptions).
_OPTIONS: dict[str, Any] = {
    "type": "object",
    "description": "fmtc_nb.engine.DownloadOptions fields (unknown names are refused); a field left out takes the "
                   "engine's default, except the two below, whose phone defaults differ",
    "properties": {
        "wait_for_network": {
            "type": "boolean", "default": PHONE_OPTION_DEFAULTS["wait_for_network"],
            "description": "a request nothing answers while nothing else of the job is answered (Doze, a tunnel, a "
                           "vendor cutting data with the screen off) is no failed attempt: the tile waits and the "
                           "job goes on when the network is back; false: such tiles fail after their retries. A "
                           "TLS certificate that does not verify is never waited for: the job stops with the reason"},
        "max_wait_s": {
            "type": ["number", "null"], "exclusiveMinimum": 0, "default": PHONE_OPTION_DEFAULTS["max_wait_s"],
            "description": "seconds the job keeps waiting with no answer at all (or for a server answering 'slow "
                           "down') before it pauses itself, resumable; null: no limit"},
    },
}


def _type_schema(hint: Any) -> dict[str, Any]:
    """The JSON schema of a Python type of the wire models (str, int, float, bool, Literal, X | None,
    tuple[int, ...], dict, ProgressSnapshot)."""
    from fmtc_nb.engine.progress import ProgressSnapshot

    if get_origin(hint) in (Union, UnionType):  # X | None, the only unions of the models
        (kind,) = [a for a in get_args(hint) if a is not type(None)]
        inner = _type_schema(kind)
        if "$ref" in inner:
            return {"anyOf": [inner, {"type": "null"}]}
        return {**inner, "type": [inner["type"], "null"]}
    if hint is ProgressSnapshot:
        return _ref("Snapshot")
    if get_origin(hint) is Literal:
        return {"type": "string", "enum": list(get_args(hint))}
    if get_origin(hint) in (tuple, list):
        return {"type": "array", "items": _type_schema(get_args(hint)[0])}
    if hint is dict or get_origin(hint) is dict:
        return {"type": "object"}
    return {str: _STR, int: _INT, float: _NUM, bool: {"type": "boolean"}}[hint]


def _model_properties(model: type[JobRow] | type[ProgressSnapshot]) -> dict[str, Any]:
    """The schema of every key of ``model.to_dict()``: its dataclass fields and its ``DERIVED`` properties,
    read off their type annotations, so the document follows the models."""
    hints = get_type_hints(model)
    properties = {f.name: _type_schema(hints[f.name]) for f in fields(model)}
    for name in model.DERIVED:
        properties[name] = _type_schema(get_type_hints(getattr(model, name).fget)["return"])
    return properties


SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": _STR}},
    "Device": {
        "type": "object",
        "required": ["platform", "android_version", "sdk_int", "vendor", "model", "battery_optimisation_ignored",
                     "notifications_allowed", "device_id", "limits"],
        "properties": {
            "platform": {"type": "string", "enum": ["android", "virtual"]}, "android_version": _STR,
            "sdk_int": _INT, "vendor": _STR, "model": _STR, "battery_optimisation_ignored": {"type": "boolean"},
            "notifications_allowed": {"type": "boolean"}, "device_id": _STR, "bridge_version": _STR,
            "limits": {"type": "object", "required": ["max_tiles", "max_zoom"],
                       "properties": {"max_tiles": _INT, "max_zoom": _INT, "max_body_bytes": _INT}},
            "foreground": {"type": "boolean"}, "wake_lock": {"type": "boolean"}, "active_jobs": _INT,
        },
    },
    "PairRequest": {"type": "object", "required": ["code"], "additionalProperties": False,
                    "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"},
                                   "name": {"type": "string", "minLength": 1, "maxLength": 100}}},
    "PairResponse": {"type": "object", "required": ["token"],
                     "properties": {"token": _STR, "client_id": _STR, "device_id": _STR}},
    "PairStart": {"type": "object", "required": ["msg"], "additionalProperties": False,
                  "description": "The client's SPAKE2 message (fmtc_nb.pake): the code never crosses the network.",
                  "properties": {"msg": {"type": "string", "format": "byte"},
                                 "name": {"type": "string", "minLength": 1, "maxLength": 100}}},
    "PairStarted": {"type": "object", "required": ["session", "msg", "confirm"],
                    "properties": {"session": _STR, "msg": {"type": "string", "format": "byte"},
                                   "confirm": {"type": "string", "format": "byte"}, "device_id": _STR}},
    "PairFinish": {"type": "object", "required": ["session", "confirm"], "additionalProperties": False,
                   "properties": {"session": _STR, "confirm": {"type": "string", "format": "byte"}}},
    "PairFinished": {"type": "object", "required": ["box"],
                     "description": "The bearer token sealed under the exchange's key.",
                     "properties": {"box": {"type": "string", "format": "byte"}, "client_id": _STR, "device_id": _STR}},
    "Revoked": {"type": "object", "required": ["revoked"], "properties": {"revoked": {"type": "boolean"}}},
    "JobSpec": {
        "type": "object", "required": ["region", "zooms", "source", "store"], "additionalProperties": False,
        "description": "fmtc_nb.engine.DownloadJob.to_dict(): the region as a GeoJSON object.",
        "properties": {
            "region": {"type": "object", "description": "GeoJSON geometry, Feature or FeatureCollection"},
            "zooms": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
            "source": {"type": "object", "required": ["url_template"],
                       "properties": {"url_template": _STR, "headers": {"type": "object",
                                                                       "additionalProperties": _STR},
                                      "contact": _NSTR, "subdomains": {"type": "array", "items": _STR},
                                      "tile_format": _NSTR}},
            "store": {"type": "string", "minLength": 1},
            "options": _OPTIONS,
            "job_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$",
                       "description": "stable id chosen by the client; sending a known id again is refused"},
        },
    },
    "PackSpec": {
        "type": "object", "required": ["kind", "region", "zooms", "style", "store"], "additionalProperties": False,
        "description": "fmtc_nb.packs.PackJob.to_dict(): a MapLibre style downloaded as an offline pack (every tile "
                       "source clipped to its own zooms, sprites, glyphs) under one job; the device reads the style "
                       "and its TileJSONs when the job arrives, to hold the pack's tiles to its limits.",
        "properties": {
            "kind": {"const": "pack"},
            "region": {"type": "object", "description": "GeoJSON geometry, Feature or FeatureCollection"},
            "zooms": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
            "style": {"type": "string", "format": "uri", "description": "the style's http(s) URL"},
            "store": {"type": "string", "minLength": 1, "description": "the pack's name (its stores are NAME.SOURCE)"},
            "options": _OPTIONS,
            "glyphs": {"type": "string", "description": "scripts whose glyph ranges are fetched: latin, ..., all"},
            "headers": {"type": "object", "additionalProperties": _STR},
            "contact": _NSTR,
            "job_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$",
                       "description": "stable id chosen by the client; sending a known id again is refused"},
        },
    },
    "JobRow": {
        "type": "object", "required": [f.name for f in fields(JobRow)] + list(JobRow.DERIVED),
        "description": "fmtc_nb.wire.JobRow.to_dict(): tiles, bytes, Unix seconds; 'snapshot' while the bridge "
                       "has the job's progress (active, or ended in this process)",
        "properties": _model_properties(JobRow),
    },
    "JobList": {"type": "object", "required": ["jobs"], "properties": {"jobs": {"type": "array",
                                                                                 "items": _ref("JobRow")}}},
    "RecoveryList": {"type": "object", "required": ["jobs"],
                     "properties": {"jobs": {"type": "array", "items": _ref("JobRow")}}},
    "Snapshot": {
        "type": "object", "required": ["max_tiles", "attempted", "percentage", "status"],
        "description": "fmtc_nb.engine.ProgressSnapshot.to_dict() (tiles, bytes, seconds)",
        "properties": _model_properties(ProgressSnapshot),
    },
    "StoreList": {"type": "object", "required": ["stores"],
                  "properties": {"stores": {"type": "array", "items": _STR}}},
    "PackList": {"type": "object", "required": ["packs"],
                 "properties": {"packs": {"type": "array", "items": _STR}}},
    "StoreStats": {
        "type": "object", "required": ["name", "tiles", "tile_bytes"],
        "properties": {"name": _STR, "source_url": _NSTR, "tiles": _INT, "tile_bytes": _INT, "unique_blobs": _INT,
                       "blob_bytes": _INT, "disk_bytes": _INT, "zooms": {"type": "object",
                                                                         "additionalProperties": _INT},
                       "hits": _INT, "misses": _INT, "failures": _INT, "created_at": _NUM, "updated_at": _NUM},
    },
}

_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "the job's id or a unique prefix of it (a prefix matching several jobs is a 400)"}
_STORE = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}


def _action(verb: str) -> dict[str, Any]:
    refused = (503,) if verb == "resume" else ()
    return {"post": {"operationId": f"{verb}Job", "summary": f"{verb.capitalize()} a job",
                     "parameters": [_JOB_ID],
                     "responses": {"200": _json(_ref("JobRow"), "The job after the action"),
                                   **_errors(400, 401, 404, 409, *refused)}}}


#: Where a started job's id leads (OpenAPI links, used by stateful API testing).
_JOB_LINKS = {op: {"operationId": op, "parameters": {"job_id": "$response.body#/id"}}
              for op in ("getJob", "jobEvents", "pauseJob", "resumeJob", "cancelJob")}

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {"get": {"operationId": "getOpenApi", "summary": "This document",
                                     "responses": {"200": _json({"type": "object"}, "OpenAPI 3 document"),
                                                   **_errors(401)}}},
    "/api/v1/device": {"get": {"operationId": "getDevice", "summary": "Device facts, permissions and limits",
                               "responses": {"200": _json(_ref("Device"), "The device"), **_errors(401)}}},
    "/api/v1/pair": {
        "post": {"operationId": "pair", "summary": "Trade the code for a token in plain (loopback only; 403 on the LAN)",
                 "security": [],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PairRequest")}}},
                 "responses": {"201": _json(_ref("PairResponse"), "Paired"), **_errors(400, 403, 408, 413, 429)}},
        "delete": {"operationId": "unpair", "summary": "Revoke the caller's token",
                   "responses": {"200": _json(_ref("Revoked"), "Revoked"), **_errors(401)}},
    },
    "/api/v1/pair/start": {
        "post": {"operationId": "pairStart", "summary": "Start pairing by SPAKE2 on the code (counts one try)",
                 "security": [],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PairStart")}}},
                 "responses": {"200": _json(_ref("PairStarted"), "The bridge's message and confirmation"),
                               **_errors(400, 408, 413, 429)}}},
    "/api/v1/pair/finish": {
        "post": {"operationId": "pairFinish", "summary": "Confirm the exchange; the token comes back sealed",
                 "security": [],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PairFinish")}}},
                 "responses": {"201": _json(_ref("PairFinished"), "Paired"), **_errors(400, 403, 408, 413, 429)}}},
    "/api/v1/jobs": {
        "get": {"operationId": "listJobs", "summary": "The device's jobs",
                "responses": {"200": _json(_ref("JobList"), "Jobs"), **_errors(401)}},
        "post": {"operationId": "dispatchJob", "summary": "Start a download job on the device",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "oneOf": [_ref("JobSpec"), _ref("PackSpec")]}}}},
                 "responses": {"201": {**_json(_ref("JobRow"), "Started"), "links": _JOB_LINKS},
                               **_errors(400, 401, 408, 409, 413, 422, 503)}},
    },
    "/api/v1/jobs/{job_id}": {"get": {"operationId": "getJob", "summary": "One job", "parameters": [_JOB_ID],
                                      "responses": {"200": _json(_ref("JobRow"), "The job"),
                                                    **_errors(400, 401, 404)}}},
    "/api/v1/jobs/{job_id}/events": {"get": {
        "operationId": "jobEvents", "summary": "Live progress as server-sent events",
        "description": "Events named 'progress' carry Snapshot fields plus job_id and tiles_done (JSON in "
                       "'data'); a last 'end' event repeats the final state.",
        "parameters": [_JOB_ID],
        "responses": {"200": {"description": "Event stream", "content": {"text/event-stream": {"schema": {
            "type": "object", "description": "one server-sent event", "required": ["event", "data"],
            "properties": {"event": {"type": "string", "enum": ["progress", "end"]},
                           "data": {"type": "string", "contentMediaType": "application/json"}}}}}},
                      **_errors(400, 401, 404)}}},
    "/api/v1/jobs/{job_id}/pause": _action("pause"),
    "/api/v1/jobs/{job_id}/resume": _action("resume"),
    "/api/v1/jobs/{job_id}/cancel": _action("cancel"),
    "/api/v1/recovery": {"get": {"operationId": "recovery", "summary": "The device's recovery registry",
                                 "responses": {"200": _json(_ref("RecoveryList"), "Recovery records"),
                                               **_errors(401)}}},
    "/api/v1/stores": {"get": {"operationId": "listStores", "summary": "Store names",
                               "responses": {"200": _json(_ref("StoreList"), "Stores"), **_errors(401)}}},
    "/api/v1/stores/{name}/stats": {"get": {"operationId": "storeStats", "summary": "A store's statistics",
                                            "parameters": [_STORE],
                                            "responses": {"200": _json(_ref("StoreStats"), "Statistics"),
                                                          **_errors(400, 401, 404)}}},
    "/api/v1/stores/{name}.mbtiles": {"get": {
        "operationId": "storeFile", "summary": "The store as one MBTiles file (a consistent copy)",
        "parameters": [_STORE],
        "responses": {"200": {"description": "MBTiles (SQLite) file",
                              "content": {"application/vnd.sqlite3": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
                      **_errors(400, 401, 404)}}},
    "/api/v1/packs": {"get": {"operationId": "listPacks", "summary": "Style pack names",
                              "responses": {"200": _json(_ref("PackList"), "Packs"), **_errors(401)}}},
    "/api/v1/packs/{name}.tar": {"get": {
        "operationId": "packFile", "summary": "A pack's folder (manifest, style, sprites, glyphs) as one tar file; "
                                             "its stores are pulled as stores",
        "parameters": [_STORE],
        "responses": {"200": {"description": "tar file",
                              "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}},
                      **_errors(400, 401, 404)}}},
}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "fmtc-nb device bridge", "version": __version__,
                 "description": "Background map downloads on a paired Android phone (or the virtual device)."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
