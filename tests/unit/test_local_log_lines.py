"""Local log lines name the function that runs, not the Lambda context another function left behind."""

from __future__ import annotations

import logging

from gtvision.core.observability import PlainFormatter, current_function


def test_plain_lines_drop_lambda_context_keys_but_keep_extras() -> None:
    formatter = PlainFormatter()
    # Given Lambda context keys that SegmentUploadFunction's handler appended to the shared logger
    formatter.append_keys(
        cold_start=True,
        function_name="SegmentUploadFunction",
        function_request_id="r-1",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:X",
        function_memory_size=1024,
    )
    record = logging.LogRecord("gtvision", logging.WARNING, __file__, 1, "MediaMTX unavailable", None, None)
    record.camera_id = "cam-1"

    # When ApiFunction logs
    token = current_function.set("ApiFunction")
    try:
        line = formatter.format(record)
    finally:
        current_function.reset(token)

    # Then the line names ApiFunction only, and keeps the record's own fields
    assert "[ApiFunction] MediaMTX unavailable" in line
    assert "SegmentUploadFunction" not in line and "cold_start" not in line and "function_arn" not in line
    assert "camera_id=cam-1" in line
