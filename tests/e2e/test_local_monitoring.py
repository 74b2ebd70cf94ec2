"""End to end: the real Prometheus and Alertmanager (Debian's binaries) against `make run`'s GET /metrics, with the
repository's rules and Alertmanager config (intervals shortened): a message in a dead-letter queue fires the
DLQ alarm, Alertmanager posts it to the hook and it becomes an `ops` alert; emptying the queue resolves it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from test_local_up import Http

from gtvision_local.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SECRET = "segredo-alertmanager-e2e-42"
ADMIN_PASSWORD = "senha-admin-monitoramento-1"
PROMETHEUS, ALERTMANAGER = "/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager"

pytestmark = pytest.mark.skipif(
    not (os.access(PROMETHEUS, os.X_OK) and os.access(ALERTMANAGER, os.X_OK)),
    reason="prometheus/prometheus-alertmanager não instalados (apt-get install prometheus prometheus-alertmanager)",
)


def _wait(what: str, check: Callable[[], Any], timeout: float, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what} não aconteceu em {timeout:g} s" + (
            f"\n{log.read_text()[-3000:]}" if log else ""
        )
        time.sleep(0.25)
    return found


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@pytest.fixture()
def monitored_stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    api_port, aws_port, prom_port, am_port = free_port(), free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GTV_", "AWS_", "DATABASE_URL", "RECORDINGS_"))}
    env.update(
        GTV_LOCAL_DIR=str(tmp_path / "state"),
        GTV_API_PORT=str(api_port),
        GTV_WS_PORT=str(free_port()),
        GTV_WS_MANAGEMENT_PORT=str(free_port()),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{aws_port}",
        GTV_ADMIN_PASSWORD=ADMIN_PASSWORD,
        GTV_ALERTMANAGER_HOOK_SECRET=SECRET,
        GTV_ARGON2_TIME_COST="1",
        GTV_ARGON2_MEMORY_KIB="1024",
        PYTHONUNBUFFERED="1",
    )
    # Alertmanager: the repository's config, pointed at this stack, with the secret in its credentials file
    (tmp_path / "hook-secret").write_text(SECRET)
    am_config = yaml.safe_load((REPO / "local" / "alertmanager" / "alertmanager.yml").read_text())
    am_config["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    (webhook,) = am_config["receivers"][0]["webhook_configs"]
    webhook["url"] = re.sub(r"^http://[^/]+", f"http://127.0.0.1:{api_port}", webhook["url"])
    webhook["http_config"]["authorization"]["credentials_file"] = str(tmp_path / "hook-secret")
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(am_config))
    # Prometheus: the repository's config and rules, scraping and evaluating every second
    prom_config = yaml.safe_load((REPO / "local" / "prometheus" / "prometheus.yml").read_text())
    prom_config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    prom_config["rule_files"] = [str(REPO / "local" / "prometheus" / "rules" / "*.yml")]
    prom_config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{am_port}"]
    prom_config["scrape_configs"] = [j for j in prom_config["scrape_configs"] if j["job_name"] == "gtvision"]
    prom_config["scrape_configs"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{api_port}"]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prom_config))

    logs = {name: tmp_path / f"{name}.log" for name in ("stack", "prometheus", "alertmanager")}
    commands = {
        "stack": [str(Path(sys.executable).parent / "gtvision"), "local", "up"],
        "alertmanager": [
            ALERTMANAGER,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
        ],
        "prometheus": [
            PROMETHEUS,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prom'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            with open(logs[name], "w") as log:
                procs.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
        http = Http(f"http://127.0.0.1:{api_port}")
        _wait("a pilha local no ar", lambda: _up(f"{http.base}/v1/health"), 120, logs["stack"])
        _wait("o Alertmanager no ar", lambda: _up(f"http://127.0.0.1:{am_port}/-/ready"), 30, logs["alertmanager"])
        _wait("o Prometheus no ar", lambda: _up(f"http://127.0.0.1:{prom_port}/-/ready"), 30, logs["prometheus"])
        token = http("POST", "/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})[1]["access_token"]
        sqs = boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        yield {"http": http, "token": token, "sqs": sqs, "logs": logs}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp_path / "prom", ignore_errors=True)


def test_a_dead_letter_message_reaches_the_console_as_an_ops_alert_and_its_removal_resolves_it(
    monitored_stack: dict[str, Any],
) -> None:
    http, token, sqs, logs = (monitored_stack[k] for k in ("http", "token", "sqs", "logs"))

    def dlq_alerts() -> list[dict[str, Any]]:
        status, page = http("GET", "/v1/alerts?kind=ops&limit=100", None, token)
        assert status == 200, page
        return [a for a in page["items"] if a["detail"]["alertname"] == "DeadLetterQueueNotEmpty"]

    assert dlq_alerts() == []
    # When a clip job lands in its dead-letter queue
    url = sqs.get_queue_url(QueueName="gtvision-clip-jobs-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"clip_id": "perdido"}')
    started = time.monotonic()

    # Then GET /metrics shows it, Prometheus fires the DLQ alarm, Alertmanager posts it, and an ops alert opens
    with urllib.request.urlopen(f"{http.base}/metrics", timeout=10) as reply:
        metrics = reply.read().decode()
    assert re.search(r'aws_sqs_approximate_number_of_messages_visible\{[^}]*queue="ClipJobsDLQ"[^}]*\} 1\.0', metrics)
    (alert,) = _wait("o alerta de operação", dlq_alerts, 45, logs["alertmanager"])
    opened_s = time.monotonic() - started
    assert alert["resolved_at"] is None and alert["city_id"] is None
    assert alert["detail"]["severity"] == "critical"
    assert alert["detail"]["labels"]["queue_name"] == "gtvision-clip-jobs-dlq"
    assert alert["detail"]["summary"] == "1 mensagem(ns) na fila de mensagens mortas gtvision-clip-jobs-dlq"

    # When the queue is emptied (the message redriven or dropped), the alarm resolves and so does the ops alert
    sqs.purge_queue(QueueUrl=url)
    started = time.monotonic()
    # (On a loaded machine a scrape can miss and Prometheus re-fire the alarm as a new episode, i.e. a second ops
    # alert: the one opened above must resolve, and so must any episode after it.)
    (resolved,) = _wait(
        "a resolução",
        lambda: [a for a in dlq_alerts() if a["resolved_at"] and a["id"] == alert["id"]],
        45,
        logs["prometheus"],
    )
    _wait(
        "a resolução de todos",
        lambda: [1] if all(a["resolved_at"] for a in dlq_alerts()) else [],
        45,
        logs["prometheus"],
    )
    print(f"\nalerta aberto em {opened_s:.1f} s, resolvido em {time.monotonic() - started:.1f} s", flush=True)
