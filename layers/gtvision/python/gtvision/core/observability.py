"""The one Logger/Metrics/Tracer set of every function; plain readable lines when running locally.

Every handler in ``functions/`` wears the same three decorators (a test checks it)::

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def handler(event, context): ...

Responses are not captured into traces: the API's hold tokens and presigned URLs. The log format is
chosen per record (``GTV_LOCAL=1`` → one readable line), never at import, so importing this module
early is harmless.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

#: The function being run, set by the local runtime around each invocation (shown in local log lines);
#: "runtime" outside any invocation (the local runtime's own lines).
current_function: contextvars.ContextVar[str] = contextvars.ContextVar("gtv_function", default="runtime")

_CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]+(?::[^/@\s]*)?@")
#: Camera passwords as URL parameters (XMEye `…/user=admin&password=…`, `?loginpas=…`; core.urls moves them).
_PASSWORD_PARAM = re.compile(
    r"(?<![A-Za-z0-9_])((?:password|pwd|passwd|pass|loginpas|senha)=)[^&\s'\"/?#]+", re.IGNORECASE
)
_SIGNED_QUERY = re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """Mask `user:password@` in any URL inside `text` (camera passwords) and presigned-URL signatures:
    neither ever reaches a log line, an error message or ffmpeg's echoed output."""
    text = _PASSWORD_PARAM.sub(r"\1***", _CREDENTIALS_IN_URL.sub(r"\g<scheme>***@", text))
    return _SIGNED_QUERY.sub(r"\1***", text)


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


class SwitchingFormatter(PlainFormatter):
    """Powertools' JSON in Lambda; :class:`PlainFormatter`'s line when ``GTV_LOCAL=1``, decided per record."""

    def format(self, record: logging.LogRecord) -> str:
        if os.environ.get("GTV_LOCAL") == "1":
            return super().format(record)
        return LambdaPowertoolsFormatter.format(self, record)


def _make_logger() -> Logger:
    lg = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "gtvision"), logger_formatter=SwitchingFormatter())
    lg.addFilter(RedactingFilter())
    return lg


logger = _make_logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "GTVision"), service="gtvision")
#: X-Ray (the template turns ``Tracing: Active`` on); Powertools disables it outside Lambda. Only botocore is
#: patched (AWS calls become subsegments): patching every library the SDK knows would import `requests` and
#: others at every cold start for calls these functions don't make.
tracer = Tracer(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "gtvision"), patch_modules=("botocore",))
