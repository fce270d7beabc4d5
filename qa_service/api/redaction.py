"""Keys never reach a log line, even where a client puts one in the URL.

Keys go in ``Authorization: Bearer KEY`` only, and headers are never logged. A client that
sends one as ``?api_key=KEY`` (as some APIs take it; this one does not) would still have it
written in full to uvicorn's access log, which records each request's path and query. The
filter here rewrites such lines: the value of every query parameter named like a credential,
and anything shaped like one of our keys anywhere in the path, becomes ``[redacted]``.
"""

import logging
import re

from qa_service.access import KEY_PREFIX

REDACTED = "[redacted]"
_CREDENTIAL_PARAMETER = re.compile(
    r"(?i)([?&;](?:[a-z_-]*key|[a-z_-]*token|auth[a-z_-]*|password|secret)=)[^&;#\s]*"
)
_KEY_SHAPED = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_%-]{40,}")
"""Our keys: "qa-" and 43 URL-safe characters (a key name "qa-widget" stays readable)."""


def redact(text: str) -> str:
    """``/v1/ask?api_key=qa-abc...&x=1`` -> ``/v1/ask?api_key=[redacted]&x=1``."""
    return _KEY_SHAPED.sub(REDACTED, _CREDENTIAL_PARAMETER.sub(r"\1" + REDACTED, text))


class RedactKeys(logging.Filter):
    """On uvicorn's access logger: its record's arguments hold the path with the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log(name: str = "uvicorn.access") -> None:
    """Install the filter once (create_app runs after uvicorn has configured its logging)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())
