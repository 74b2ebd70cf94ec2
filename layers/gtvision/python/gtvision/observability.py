"""The one Logger/Metrics pair of every function; plain readable lines when running locally."""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

#: The function being run, set by the local runtime around each invocation (shown in local log lines).
current_function: contextvars.ContextVar[str] = contextvars.ContextVar("gtv_function", default="-")

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


class PlainFormatter(LambdaPowertoolsFormatter):
    """Local runs: one readable line, `HH:MM:SS.mmm LEVEL [Function] message key=value`."""

    _SKIP = {"level", "location", "message", "timestamp", "service", "sampling_rate", "xray_trace_id"}
    # Lambda context keys (inject_lambda_context): locally every function shares one logger, so they would
    # name whichever function ran last; the bracketed function name is the true one.
    _SKIP |= {"cold_start", "function_name", "function_memory_size", "function_arn", "function_request_id"}

    def format(self, record: logging.LogRecord) -> str:
        data = self._extract_log_keys(log_record=record)
        msg = redact(str(self._extract_log_message(log_record=record)))
        extras = " ".join(f"{k}={v}" for k, v in data.items() if k not in self._SKIP and v not in (None, ""))
        ts = time.strftime("%H:%M:%S", time.localtime(record.created)) + f".{int(record.msecs):03d}"
        line = f"{ts} {record.levelname:<5} [{current_function.get()}] {msg}" + (f" {redact(extras)}" if extras else "")
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def _make_logger() -> Logger:
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", "gtvision")
    if os.environ.get("GTV_LOCAL") == "1":
        lg = Logger(service=service, logger_formatter=PlainFormatter())
    else:
        lg = Logger(service=service)
    lg.addFilter(RedactingFilter())
    return lg


logger = _make_logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "GTVision"), service="gtvision")


def flush_metrics_if_any() -> None:
    """Flush pending EMF metrics now (the API has no per-invocation decorator; see functions/api/app.py)."""
    if metrics.metric_set:
        metrics.flush_metrics()
