"""What ``REDIS_URL`` names: one Redis server, or a master found through Redis Sentinel.

Plain servers use redis-py's own URL forms (``redis://``, ``rediss://``,
``unix://``). A Sentinel set is named by::

    redis+sentinel://[[username]:password@]host1[:port][,host2[:port],...]/<service_name>[/<db>][?query]

- the hosts are the Sentinels (not the Redis servers), port 26379 when left
  out; an IPv6 address goes in brackets (``[fd00::1]:26379``);
- ``service_name`` is the name the Sentinels monitor (``sentinel monitor
  <service_name> ...``); ``db`` is the database number, 0 when left out;
- ``username``/``password`` authenticate to the Redis master;
- query parameters, each at most once: ``sentinel_password`` and
  ``sentinel_username`` authenticate to the Sentinels, which keep their own
  ``requirepass`` and are asked with no password unless one is given here;
  ``ssl=true`` (or ``false``) speaks TLS to the Sentinels and to the master.

Percent-encode reserved characters in passwords; ``?``, ``#`` and ``%``
must be. This module only reads the text, so the settings can check
``REDIS_URL`` at start-up without importing the Redis client.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from bot.errors import ConfigError
from bot.secrets import Secret

SENTINEL_SCHEME = "redis+sentinel://"
SERVER_SCHEMES = ("redis://", "rediss://", "unix://")
DEFAULT_SENTINEL_PORT = 26379
EXAMPLE = "redis+sentinel://sentinel-0:26379,sentinel-1:26379/mymaster"
_QUERY_NAMES = ("sentinel_password", "sentinel_username", "ssl")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class SentinelUrl:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: Secret | None = None
    sentinel_username: str | None = None
    sentinel_password: Secret | None = None
    ssl: bool = False

    def describe(self) -> str:
        """For people: where the store is, never a password."""
        hosts = ", ".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.sentinels)
        count = f"{len(self.sentinels)} sentinel{'s' if len(self.sentinels) != 1 else ''}"
        tls = ", TLS" if self.ssl else ""
        return f"Redis Sentinel service {self.service} via {count} ({hosts}), db {self.db}{tls}"


def is_sentinel_url(url: str) -> bool:
    return url.startswith(SENTINEL_SCHEME)


def url_problem(url: str) -> str | None:
    """The one thing wrong with ``url`` as a REDIS_URL, or None."""
    if is_sentinel_url(url):
        try:
            parse_sentinel_url(url)
        except ConfigError as exc:
            return exc.problems[0]
        return None
    if not url.startswith(SERVER_SCHEMES):
        return "REDIS_URL must start with redis://, rediss://, unix:// or redis+sentinel://"
    return None


def _problem(detail: str) -> ConfigError:
    return ConfigError([f"REDIS_URL: {detail} (the form is {EXAMPLE}[/<db>])"])


def _host(entry: str) -> tuple[str, int]:
    """One ``host[:port]`` of the Sentinel list.

    Problems name the host but never echo the port text: when a password
    holds an unencoded "?" or "#", part of it lands where the port is read.
    """
    port_text: str | None
    if entry.startswith("["):  # [IPv6]:port, the brackets keep its colons apart from the port's
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _problem(f"Sentinel host [{host}] is not written [address]:port")
        port_text = rest[1:] if rest else None
    else:
        host, colon, after = entry.partition(":")
        if ":" in after:
            raise _problem("an IPv6 Sentinel address goes in brackets, as in [fd00::1]:26379")
        port_text = after if colon else None
    if not host:
        raise _problem("a Sentinel host has no name (an empty entry in the host list?)")
    if port_text is None:
        return host, DEFAULT_SENTINEL_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _problem(f"Sentinel host {host!r} has a bad port; ports are 1-65535")
    return host, int(port_text)


def _options(query: str) -> dict[str, str]:
    options: dict[str, str] = {}
    # Split by hand rather than with parse_qsl, which reads "+" as a space and
    # would change a password that contains one.
    for part in filter(None, query.split("&")):
        raw_name, _, raw_value = part.partition("=")
        name, value = unquote(raw_name), unquote(raw_value)
        if name not in _QUERY_NAMES:
            # Only a name that looks like one is repeated: anything else may
            # be the tail of a password with an unencoded "?".
            shown = f" {name!r}" if name.replace("_", "").isalpha() else ""
            raise _problem(f"unknown option{shown}; the options are {', '.join(_QUERY_NAMES)}")
        if name in options:
            raise _problem(f"option {name!r} is given twice")
        options[name] = value
    return options


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Read a ``redis+sentinel://`` URL; ConfigError with one line saying what is wrong.

    The line never repeats a password, even one written in the wrong place.
    """
    if not is_sentinel_url(url):
        raise _problem("a Sentinel URL starts with redis+sentinel://")
    rest, _, query = url[len(SENTINEL_SCHEME) :].partition("?")
    if "#" in url:
        raise _problem("a '#' must be percent-encoded as %23")
    # The last "@" ends the credentials, so an unencoded "@" or "/" in a
    # password still reads right; service names and hosts never hold an "@".
    userinfo, at, located = rest.rpartition("@")
    hostlist, slash, path = located.partition("/")

    username: str | None = None
    password: Secret | None = None
    if at:
        user_text, colon, password_text = userinfo.partition(":")
        username = unquote(user_text) or None
        password = Secret(unquote(password_text)) if colon and password_text else None

    if not hostlist:
        raise _problem("no Sentinel hosts")
    sentinels = tuple(_host(entry.strip()) for entry in hostlist.split(","))

    segments = path.split("/") if slash else []
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()  # a trailing slash
    if not segments or not segments[0]:
        raise _problem("no Sentinel service name after the hosts")
    if len(segments) > 2:
        raise _problem("too many path parts; after the hosts come /<service_name>[/<db>]")
    service = unquote(segments[0])
    if not service.isprintable() or any(ch.isspace() for ch in service):
        raise _problem("the service name contains spaces or control characters")
    db_text = segments[1] if len(segments) == 2 else "0"
    if not db_text.isdigit():
        raise _problem("the database after the service name is not a number")

    options = _options(query)
    ssl_text = options.get("ssl", "false").lower()
    if ssl_text not in _TRUE + _FALSE:
        raise _problem("ssl must be true or false")

    return SentinelUrl(
        sentinels=sentinels,
        service=service,
        db=int(db_text),
        username=username,
        password=password,
        sentinel_username=options.get("sentinel_username") or None,
        sentinel_password=Secret(options["sentinel_password"]) if options.get("sentinel_password") else None,
        ssl=ssl_text in _TRUE,
    )
