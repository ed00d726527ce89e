"""API keys in source URLs: lifted out of what is recorded, put back only into the requests made.

A key in a URL given by the user (``...png?key=SECRET``) becomes the ``{api_key}`` placeholder in the template
and the TileSource's ``api_key``; stores, exports, recovery records and printed templates then hold the
placeholder, never the key. Which query parameters carry credentials is
:data:`fmtc_nb.sources.keys.CREDENTIAL_PARAMS`.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from fmtc_nb.errors import SourceError
from fmtc_nb.sources.templates import API_KEY

#: Query parameters that carry credentials (compared case-insensitively): the generic names and those of the
#: common tile providers (MapTiler/Google ``key``, Thunderforest ``apikey``, Stadia ``api_key``, Mapbox
#: ``access_token``, HERE/Geoapify ``apiKey``, Esri ``token``, Jawg ``access-token``, OpenWeatherMap ``appid``).
CREDENTIAL_PARAMS = frozenset({
    "key", "apikey", "api_key", "api-key", "access_token", "access-token", "accesstoken", "token", "auth",
    "appid", "app_id", "app_code", "client_secret", "secret", "password", "signature", "sig",
})


def is_credential(name: str) -> bool:
    """True if a query parameter called ``name`` carries a credential."""
    return unquote(name).strip().lower() in CREDENTIAL_PARAMS


def lift_api_key(url: str, api_key: str | None) -> tuple[str, str | None, str | None]:
    """(``url`` with its credential parameter's value replaced by ``{api_key}``, the key, the parameter's name).

    ``api_key`` (given on the command line) wins over the value in the URL. A URL without a credential parameter
    comes back unchanged with ``api_key`` and no name. Two credential parameters with different values are
    refused: only one key can be kept out of the records.
    """
    parts = urlsplit(url)
    pairs = parts.query.split("&") if parts.query else []
    found: list[tuple[int, str, str]] = []
    for i, pair in enumerate(pairs):
        name, sep, value = pair.partition("=")
        if sep and is_credential(name) and value and value != API_KEY:
            found.append((i, name, unquote(value)))
    if not found:
        names = [p.partition("=")[0] for p in pairs if p.partition("=")[2] == API_KEY]
        return url, api_key, names[0] if names else None
    if len({value for _, _, value in found}) > 1:
        raise SourceError(f"The URL carries {len(found)} different credentials ({', '.join(n for _, n, _ in found)}); "
                          "give the one API key with --api-key and leave the others out.")
    for i, name, _ in found:
        pairs[i] = f"{name}={API_KEY}"
    lifted = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(pairs), parts.fragment))
    return lifted, api_key if api_key is not None else found[0][2], found[0][1]


def with_key_param(url: str, param: str | None) -> str:
    """``url`` with ``param={api_key}`` appended unless it has ``{api_key}`` already (or no parameter is named)."""
    if param is None or API_KEY in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}{param}={API_KEY}"


def fill_key(url: str, api_key: str | None) -> str:
    """``url`` with ``{api_key}`` filled in, for a request only."""
    from urllib.parse import quote

    return url.replace(API_KEY, quote(api_key, safe="")) if api_key is not None else url
