"""The Elasticsearch client built from settings, and the translation of its errors into one clear line each.

Retries are split by kind. The transport retries a lost connection or a timeout (jittered backoff), never an
HTTP status: statuses are retried where the request is known to be safe to repeat — bulk chunks by
``helpers.streaming_bulk`` with exponential backoff, reads by ``with_status_retries``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    UnsupportedProductError,
)
from elasticsearch.serializer import OrjsonSerializer

from vidsearch.errors import ConfigurationError, StoreError
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

log = logging.getLogger(__name__)

# Statuses that mean "busy, try again later"; a repeated index/delete with an explicit _id is idempotent.
RETRY_STATUSES = (429, 502, 503, 504)


def public_url(url: str) -> str:
    """The URL without credentials, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def connect(url: str | None, settings: ElasticsearchSettings) -> Elasticsearch:
    if not url:
        raise ConfigurationError("no Elasticsearch URL: set VIDSEARCH_ES_URL (e.g. http://localhost:9200)")
    if settings.ca_file is not None and not settings.ca_file.is_file():
        raise ConfigurationError(f"es.ca_file {settings.ca_file} does not exist")
    kwargs: dict = {
        "request_timeout": settings.request_timeout_s,
        "max_retries": settings.max_retries,
        "retry_on_timeout": True,
        "retry_on_status": (),
        "retry_backoff_base": min(settings.initial_backoff_s, 1.0) or 0.0,
        "retry_backoff_cap": settings.max_backoff_s,
        "http_compress": settings.http_compress,
        "serializer": OrjsonSerializer(),
        "connections_per_node": max(10, settings.bulk_threads + 2),
    }
    if not kwargs["retry_backoff_base"] or not kwargs["retry_backoff_cap"]:
        kwargs.pop("retry_backoff_base")
        kwargs.pop("retry_backoff_cap")
    if settings.api_key is not None:
        kwargs["api_key"] = settings.api_key.get_secret_value()
    elif settings.username is not None and settings.password is not None:
        kwargs["basic_auth"] = (settings.username, settings.password.get_secret_value())
    if url.startswith("https"):
        kwargs["verify_certs"] = settings.verify_certs
        if settings.ca_file is not None:
            kwargs["ca_certs"] = str(settings.ca_file)
        if not settings.verify_certs:
            kwargs["ssl_show_warn"] = False
    try:
        return Elasticsearch(url, **kwargs)
    except ValueError as exc:  # a malformed URL
        raise ConfigurationError(f"VIDSEARCH_ES_URL {public_url(url)!r}: {exc}") from exc


def _reason(error: ApiError) -> str:
    info = error.info if isinstance(error.info, dict) else {}
    detail = info.get("error", info)
    if isinstance(detail, dict):
        root = (detail.get("root_cause") or [detail])[0]
        kind = root.get("type", "")
        reason = root.get("reason", "") or detail.get("reason", "")
        return f"{kind}: {reason}" if kind else str(reason or error.message)
    return str(detail or error.message)


def credentials_rejected(url: str, doing: str) -> StoreError:
    return StoreError(f"Elasticsearch at {public_url(url)} rejected the credentials (401) while {doing}: check "
                      "VIDSEARCH_ES__API_KEY or VIDSEARCH_ES__USERNAME / VIDSEARCH_ES__PASSWORD")


def forbidden(url: str, doing: str, reason: str) -> StoreError:
    return StoreError(f"Elasticsearch at {public_url(url)} refused {doing} (403 forbidden): {reason}; give the "
                      "user or API key the index privileges for the vidsearch indices")


def _transport_reason(error: TransportError) -> str:
    """urllib3's wording without the connection object's repr."""
    return re.sub(r"^\w*Connection\(host=.*?\):\s*", "", str(error.message)).strip()


def describe(error: Exception, url: str, doing: str) -> StoreError:
    """One line a user can act on, for any client error."""
    where = public_url(url)
    if isinstance(error, AuthenticationException):
        return credentials_rejected(url, doing)
    if isinstance(error, AuthorizationException):
        return forbidden(url, doing, _reason(error))
    if isinstance(error, UnsupportedProductError):
        return StoreError(f"the server at {where} is not Elasticsearch (no X-Elastic-Product header): {error}")
    if isinstance(error, ConnectionTimeout):
        return StoreError(f"Elasticsearch at {where} did not answer in time while {doing}: "
                          f"{_transport_reason(error)}")
    if isinstance(error, TransportConnectionError):
        return StoreError(f"Elasticsearch at {where} is unreachable while {doing}: {_transport_reason(error)}")
    if isinstance(error, ApiError):
        return StoreError(f"Elasticsearch at {where} answered {error.status_code} while {doing}: {_reason(error)}")
    if isinstance(error, TransportError):
        return StoreError(f"Elasticsearch at {where} failed while {doing}: {_transport_reason(error)}")
    return StoreError(f"Elasticsearch at {where} failed while {doing}: {error}")


@contextmanager
def translated(url: str, doing: str) -> Iterator[None]:
    """Client errors become a ``StoreError`` naming the cluster and what was being done."""
    try:
        yield
    except (ApiError, TransportError, UnsupportedProductError) as exc:
        raise describe(exc, url, doing) from exc


def with_status_retries(client: Elasticsearch) -> Elasticsearch:
    """A client view that also retries busy statuses: for reads, which are safe to repeat."""
    return client.options(retry_on_status=RETRY_STATUSES)
