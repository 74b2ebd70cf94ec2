"""A streaming camera's MediaMTX paths, and putting them on a node: what starting a stream (`streams.service`)
and the health poll's reconcile (re-adding paths a MediaMTX restart forgot) share, apart from the stream routes'
answers so that the health worker does not import them (ADR 0029)."""

from __future__ import annotations

from gtvision.recordings.keys import path_name
from gtvision.streams.mediamtx import MediaMTXClient
from gtvision.tenancy import cameras


def wanted_paths(camera_id: str, has_substream: bool) -> tuple[str, ...]:
    """The MediaMTX paths of a streaming camera: its own, and `{id}_sub` when it has a sub-stream."""
    return (camera_id, path_name(camera_id, "sub")) if has_substream else (camera_id,)


def readd_paths(client: MediaMTXClient, camera_id: str, paths: tuple[str, ...]) -> None:
    """Make the camera's MediaMTX paths pull and record its streams (start, and the health poll's re-adds of
    paths a MediaMTX restart forgot). The sub-stream records to `recordings/{id}_sub/…` (two-tier recording)."""
    for name in paths:
        if name == camera_id:
            client.ensure_path(camera_id, cameras.source_with_credentials(camera_id), record=True)
        elif name == path_name(camera_id, "sub"):
            source = cameras.substream_with_credentials(camera_id)
            if source:
                client.ensure_path(name, source, record=True)
