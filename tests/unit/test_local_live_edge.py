"""Which MediaMTX the local stack uses for live video: a configured one, a `mediamtx` binary, or the built-in
stand-in. Fake binaries (empty executable files) stand for MediaMTX here: only the choice is under test."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtvision_local.live_edge import MEDIAMTX_PORTS, EdgeChoice, MediaMTXProcess, choose_edge

REPO = Path(__file__).resolve().parents[2]


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_a_configured_mediamtx_wins_over_any_binary(tmp_path: Path) -> None:
    binary = _executable(tmp_path / "bin" / "mediamtx")
    env = {"GTV_MEDIAMTX_API_URL": "http://10.0.0.5:9997", "GTV_MEDIAMTX_BIN": str(binary), "PATH": str(binary.parent)}
    assert choose_edge(env) == EdgeChoice("external", note="http://10.0.0.5:9997")


def test_gtv_mediamtx_bin_is_run_when_it_is_an_executable(tmp_path: Path) -> None:
    binary = _executable(tmp_path / "opt" / "mediamtx-v1")
    assert choose_edge({"GTV_MEDIAMTX_BIN": str(binary), "PATH": ""}) == EdgeChoice("binary", str(binary))


def test_a_gtv_mediamtx_bin_that_cannot_run_falls_back_to_the_stand_in_saying_why(tmp_path: Path) -> None:
    not_executable = tmp_path / "mediamtx"
    not_executable.write_text("")
    for configured in (str(not_executable), str(tmp_path / "missing")):
        choice = choose_edge({"GTV_MEDIAMTX_BIN": configured, "PATH": ""})
        assert choice.kind == "standin" and configured in choice.note


def test_mediamtx_on_path_is_found_and_none_means_the_stand_in(tmp_path: Path) -> None:
    binary = _executable(tmp_path / "bin" / "mediamtx")
    assert choose_edge({"PATH": f"{tmp_path / 'empty'}:{binary.parent}"}) == EdgeChoice("binary", str(binary))
    assert choose_edge({"PATH": str(tmp_path / "empty")}) == EdgeChoice("standin")


def test_the_real_mediamtx_runs_the_repository_config_with_its_hooks_pointed_at_this_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTV_LOCAL_DIR", str(tmp_path / "state"))
    binary = _executable(tmp_path / "mediamtx")
    process = MediaMTXProcess(str(binary), "http://127.0.0.1:3000/", root=REPO)
    assert process.command == [str(binary), str(REPO / "mediamtx.yml")]
    assert process.work_dir == tmp_path / "state" / "mediamtx"  # recordings wait there for the upload hook
    hooks = [process.env[k].split()[0] for k in process.env if k.startswith("MTX_PATHDEFAULTS_RUNON")]
    assert len(hooks) == 3 and all(Path(h).is_file() and Path(h).parent == REPO / "local" / "mediamtx" for h in hooks)
    assert process.env["GTV_HOOK_URL"] == "http://127.0.0.1:3000/v1/hooks/mediamtx"
    # The URLs GT-Vision is given are mediamtx.yml's ports
    config = (REPO / "mediamtx.yml").read_text()
    api, hls, webrtc, rtsp = MEDIAMTX_PORTS
    for port, key in ((api, "apiAddress"), (hls, "hlsAddress"), (webrtc, "webrtcAddress"), (rtsp, "rtspAddress")):
        assert f"{key}: :{port}" in config
    assert process.urls["GTV_MEDIAMTX_HLS_URL"] == f"http://127.0.0.1:{hls}"
