"""The one Logger/Metrics pair of every function; plain readable lines when running locally."""

from __future__ import annotations

import logging
import os
import re

from aws_lambda_powertools import Logger, Metrics

_CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]+(?::[^/@\s]*)?@")


def redact(text: str) -> str:
    """Remove `user:password@` from any URL inside `text` (camera passwords never reach a log line)."""
    return _CREDENTIALS_IN_URL.sub(r"\g<scheme>***@", text)


class RedactingFilter(logging.Filter):
    """Last line of defence: credentials in URLs are masked in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def _make_logger() -> Logger:
    if os.environ.get("GTV_LOCAL") == "1":
        # Locally the runtime's root handler prints "time LEVEL [Function] message"; propagate to it.
        log = logging.getLogger("gtvision")
        log.addFilter(RedactingFilter())
        return Logger(service="gtvision", logger_handler=logging.NullHandler(), propagate=True)
    lg = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "gtvision"))
    lg.addFilter(RedactingFilter())
    return lg


logger = _make_logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "GTVision"), service="gtvision")
