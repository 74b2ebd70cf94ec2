"""`gtvision --help` describes what each subcommand really does (the README points newcomers at it)."""

from __future__ import annotations

import pytest

from gtvision_local import cli


def test_top_level_help_describes_verify_and_recorder(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "signed evidence manifest" in capsys.readouterr().out

    with pytest.raises(SystemExit):
        cli.main(["local", "--help"])
    assert "recordings bucket" in capsys.readouterr().out


def test_verify_hook_takes_clip_and_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["verify", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "clip" in out and "manifest" in out
