"""Tile sources: a URL template plus the politeness rules every request of fmtc-nb follows.

Every module that talks to a tile server (engine, estimate, caching proxy, device bridge) builds its requests
from a :class:`TileSource`, so the User-Agent, extra headers and usage-policy checks live in one place.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import yarl

from fmtc_nb import __version__
from fmtc_nb.errors import OptionError, PolicyError, SourceError
from fmtc_nb.sources.catalogue import bulk_forbidden_hosts
from fmtc_nb.sources.keys import CREDENTIAL_PARAMS, is_credential, lift_api_key
from fmtc_nb.sources.templates import API_KEY, expand, placeholders, template_problem

PROJECT_URL = "https://github.com/fmtc-nb/fmtc-nb"
#: Environment variable an API key is read from when a template needs one and none is given.
API_KEY_ENV = "FMTC_NB_API_KEY"
_GENERIC_AGENTS = re.compile(r"^(python-requests|python-httpx|aiohttp|python-urllib|curl|wget|mozilla|okhttp|dart)\b", re.I)
#: Hosts whose usage policy forbids bulk and offline downloading, with the policy to point users at: the
#: provider catalogue's entries marked "forbidden" (fmtc_nb/data/providers.json).
BULK_FORBIDDEN = bulk_forbidden_hosts()
#: What a redacted credential reads as.
REDACTED = "REDACTED"
_SECRET_HEADER = re.compile(r"auth|cookie|key|token|secret|passw", re.I)
_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+", re.I)


def redact_url(url: str) -> str:
    """``url`` with the values of credential query parameters (:data:`CREDENTIAL_PARAMS`) and a password in
    the user part replaced by ``REDACTED``; the rest (placeholders such as ``{z}`` and ``{api_key}`` included)
    is unchanged.
    Use it wherever a URL is written for others to read (store metadata, exports, listings)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else parts.query
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:{REDACTED}@{host}" if ":" in user else f"{REDACTED}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def recorded_url(url: str) -> str:
    """``url`` as stores record it: a credential parameter's value becomes ``{api_key}`` (the form a
    :class:`TileSource` template has, so the same source with another key is the same source) and anything
    else secret is redacted (:func:`redact_url`)."""
    with contextlib.suppress(SourceError):  # two different credentials: each is redacted below
        url = lift_api_key(url, None)[0]
    return redact_url(url)


def redact_text(text: str) -> str:
    """``text`` (an error message, say) with every http(s) URL in it passed through :func:`redact_url`."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group()), text) if "://" in text else text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with the values of those that carry credentials (Authorization, cookies, and any whose name
    says key, token, secret, auth or password) replaced by ``REDACTED``."""
    return {name: REDACTED if _SECRET_HEADER.search(name) else value for name, value in headers.items()}


def has_redacted_credentials(url: str) -> bool:
    """True if ``url`` had its credentials redacted by :func:`redact_url` (so it cannot fetch anything)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    names = [unquote(p.partition("=")[0]).strip().lower() for p in parts.query.split("&") if p.endswith(f"={REDACTED}")]
    return any(n in CREDENTIAL_PARAMS for n in names) or f":{REDACTED}@" in parts.netloc or \
        parts.netloc.startswith(f"{REDACTED}@")


def _redact_pair(pair: str) -> str:
    name, sep, value = pair.partition("=")
    return f"{name}={REDACTED}" if sep and value != API_KEY and is_credential(name) else pair


def request_host(url: str) -> str:
    """The host name a request to ``url`` reaches, as DNS sees it: IDNA-normalised (full-width letters and
    dots folded), percent escapes decoded, lower case, without trailing dots."""
    try:
        host = yarl.URL(url).host or ""
    except (ValueError, UnicodeError, TypeError):
        host = urlsplit(url).hostname or ""
    return unquote(host).lower().rstrip(".")


def check_bulk_url(url: str) -> None:
    """Raise :class:`PolicyError` if a request to ``url`` reaches a server whose policy forbids bulk
    downloads (checked for the template's every host and for every redirect the engine follows)."""
    host = request_host(url)
    for forbidden, policy in BULK_FORBIDDEN.items():
        if host == forbidden or host.endswith("." + forbidden):
            raise PolicyError(
                f"{forbidden} forbids bulk and offline downloading (see {policy}); "
                "use a tile provider that allows it or the embedded demo server."
            )


def check_contact(contact: str | None) -> None:
    """OptionError for a contact (the user's e-mail or URL in the User-Agent) that is given but empty or blank:
    a server operator could not reach anyone by it, and the user meant to give one."""
    if contact is not None and not contact.strip():
        raise OptionError("contact", contact, "contact", "an e-mail address or URL (an empty one leaves the "
                          "User-Agent without a way to reach you): give yours, or leave the contact out")


def default_user_agent(contact: str | None = None) -> str:
    """The User-Agent fmtc-nb sends: names fmtc-nb, its version and, if given, the user's contact (OptionError
    when it is empty or blank, see :func:`check_contact`)."""
    check_contact(contact)
    extra = f"; {contact}" if contact else ""
    return f"fmtc-nb/{__version__} (+{PROJECT_URL}{extra})"


@dataclass(frozen=True)
class TileSource:
    """Where tiles come from and how to ask for them.

    ``url_template`` uses ``{z}``, ``{x}``, ``{y}`` (or ``{-y}`` for TMS rows), or ``{q}`` (quadkey), or
    ``{bbox-epsg-3857}`` (see :mod:`fmtc_nb.sources.templates`), optional ``{s}`` (one of ``subdomains``, chosen
    per tile), ``{r}`` (empty; retina suffix) and ``{api_key}``. ``headers`` are sent with every request; a
    User-Agent in them must name fmtc-nb or the app built on it, never a generic HTTP library.

    ``api_key`` fills ``{api_key}`` only in the URLs requested (default: ``$FMTC_NB_API_KEY``); it is never part
    of the template, its repr, or what jobs, stores and exports record. A key written into the URL itself
    (``?key=SECRET``, see :mod:`fmtc_nb.sources.keys`) is moved out the same way: ``url_template`` then holds
    ``?key={api_key}``. ``attribution``, ``min_zoom`` and
    ``max_zoom`` describe the source when it says so (TileJSON, WMTS, the provider catalogue); None: unknown.
    """

    url_template: str
    headers: dict[str, str] = field(default_factory=dict)
    contact: str | None = None
    subdomains: tuple[str, ...] = ("a", "b", "c")
    tile_format: str | None = None  # "png", "jpg", "webp", "pbf"; None: learned from the answers
    api_key: str | None = field(default=None, repr=False)
    attribution: str | None = None
    min_zoom: int | None = None
    max_zoom: int | None = None
    _names: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        parts = urlsplit(self.url_template)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError(f"The tile URL {self.url_template!r} is not an http(s) URL template.")
        problem = template_problem(self.url_template)
        if problem:
            raise SourceError(problem)
        lifted, key, _ = lift_api_key(self.url_template, self.api_key)  # a key in the URL leaves the template
        object.__setattr__(self, "url_template", lifted)
        object.__setattr__(self, "api_key", key)
        object.__setattr__(self, "_names", placeholders(self.url_template))
        if API_KEY in self.url_template and self.api_key is None:
            object.__setattr__(self, "api_key", os.environ.get(API_KEY_ENV) or None)
            if self.api_key is None:
                raise SourceError(f"The tile URL needs an API key ({API_KEY}): give --api-key or set {API_KEY_ENV} "
                                  "(fmtc-nb never stores it).")
        elif self.api_key is not None and API_KEY not in self.url_template:
            raise SourceError(f"An API key was given but the tile URL has no {API_KEY} placeholder to put it in.")
        secrets = (self.api_key or "", self.contact or "", *self.headers, *self.headers.values())
        if any(c in t for t in secrets for c in "\r\n\0"):
            raise SourceError("A request header, the contact or the API key contains a line break or NUL, "
                              "which HTTP forbids.")
        agent = self.user_agent
        if _GENERIC_AGENTS.match(agent) or "fmtc-nb" not in agent.lower() and len(agent) < 8:
            raise SourceError(f"The User-Agent {agent!r} is generic; name your application (fmtc-nb adds its own by default).")

    @property
    def host(self) -> str:
        """The server's host name with ``{s}`` resolved to the first subdomain."""
        return self.hosts[0]

    @property
    def hosts(self) -> list[str]:
        """Every host name a request can reach: ``{s}`` resolved to each subdomain (see :func:`request_host`)."""
        return list(dict.fromkeys(request_host(url) for url in self._subdomain_urls()))

    def _subdomain_urls(self) -> list[str]:
        """The template with ``{s}`` resolved to each subdomain in turn."""
        subdomains = self.subdomains if "{s}" in self.url_template and self.subdomains else ("",)
        return [self.url_template.replace("{s}", sub) for sub in subdomains]

    @property
    def shown_url(self) -> str:
        """The URL template with its credentials redacted (see :func:`redact_url`): what others may read."""
        return redact_url(self.url_template)

    @property
    def user_agent(self) -> str:
        """The User-Agent header that will be sent."""
        for key, value in self.headers.items():
            if key.lower() == "user-agent":
                return value
        return default_user_agent(self.contact)

    def request_headers(self) -> dict[str, str]:
        """All headers for a tile request, User-Agent included."""
        merged = {k: v for k, v in self.headers.items() if k.lower() != "user-agent"}
        merged["User-Agent"] = self.user_agent
        return merged

    def url(self, z: int, x: int, y: int) -> str:
        """The URL of tile ``z/x/y`` (XYZ rows), API key included: for the request only, never to be recorded."""
        sub = self.subdomains[(x + y) % len(self.subdomains)] if self.subdomains else ""
        return expand(self.url_template, self._names, z, x, y, sub, self.api_key)

    def check_bulk_allowed(self) -> None:
        """Raise :class:`PolicyError` if any host the template reaches (every ``{s}`` subdomain) forbids bulk
        downloads; the engine checks redirects too (``fetch_tile(..., allowed=check_bulk_url)``)."""
        for url in self._subdomain_urls():
            check_bulk_url(url)
