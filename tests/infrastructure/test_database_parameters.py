"""GT-Vision's PostgreSQL parameter group (infra/database/parameter-group.yaml, ADR 0031): valid CloudFormation,
created in moto with its values, accepted by a real PostgreSQL, and the very settings the LPR ingest bench runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gtvision_local.template import load_yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "database" / "parameter-group.yaml"
#: RDS's unit for each parameter the group sets (RDS takes bare numbers in the parameter's base unit).
RDS_UNITS = {"max_wal_size": "MB", "checkpoint_timeout": "s"}


def _parameters() -> dict[str, str]:
    doc: dict[str, Any] = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
    return dict(doc["Resources"]["DatabaseParameterGroup"]["Properties"]["Parameters"])


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    assert [str(m) for m in lint_file(TEMPLATE)] == []


def test_checkpoints_are_spaced_further_than_rds_defaults() -> None:
    params = _parameters()
    assert set(params) == set(RDS_UNITS)
    assert int(params["max_wal_size"]) > 2048  # RDS's default: 2048 MB
    assert int(params["checkpoint_timeout"]) > 300  # RDS's default: 300 s


def test_every_value_is_one_postgresql_accepts_and_applies_without_restart(database_url: str) -> None:
    # Given the real PostgreSQL the suite runs on
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name, value in _parameters().items():
            unit, low, high, context = conn.execute(
                "SELECT unit, min_val::numeric, max_val::numeric, context FROM pg_settings WHERE name = %s", (name,)
            ).fetchone()  # type: ignore[misc]
            # Then its unit is RDS's, the value is in range, and a reload applies it (RDS: a dynamic parameter)
            assert unit == RDS_UNITS[name], (name, unit)
            assert low <= int(value) <= high, (name, value, low, high)
            assert context == "sighup", (name, context)


def test_the_ingest_bench_runs_with_these_settings() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_lpr_ingest as bench
    finally:
        sys.path.remove(str(REPO / "bench"))
    settings = bench.deployed_settings()
    # Written as PostgreSQL's SHOW writes them back (the bench restarts the server when they differ)
    assert settings["max_wal_size"] == f"{int(_parameters()['max_wal_size']) // 1024}GB"
    assert settings["checkpoint_timeout"] == f"{int(_parameters()['checkpoint_timeout']) // 60}min"
    assert {k: v for k, v in settings.items() if k not in RDS_UNITS} == {
        k: v for k, v in bench.RDS_DEFAULTS.items() if k not in RDS_UNITS
    }


def test_stack_creates_the_group_in_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(StackName="gtvision-db", TemplateBody=TEMPLATE.read_text(encoding="utf-8"))
        stack = cfn.describe_stacks(StackName="gtvision-db")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert [o["OutputKey"] for o in stack["Outputs"]] == ["ParameterGroupName"]
        rds = boto3.client("rds", region_name="us-east-1")
        # (moto resolves the output's Ref to an object's repr, not the name: the group is found by listing)
        [group] = rds.describe_db_parameter_groups()["DBParameterGroups"]
        assert group["DBParameterGroupFamily"] == "postgres17"
        name = group["DBParameterGroupName"]
        got = {
            p["ParameterName"]: p["ParameterValue"]
            for p in rds.describe_db_parameters(DBParameterGroupName=name)["Parameters"]
        }
        assert {k: got.get(k) for k in RDS_UNITS} == _parameters()
