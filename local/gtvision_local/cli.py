"""The ``gtvision`` command: the local stack, one-off invocations, sample events and route sync."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import events
from .paths import repo_root
from .template import ApiEvent, ScheduleEvent, Template, load_template


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gtvision", description="GT-Vision: local stack and tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="the local serverless stack").add_subparsers(
        dest="local_command", required=True
    )
    up = local.add_parser("up", help="start PostgreSQL, the AWS emulator and every function of template.yaml")
    up.add_argument("--demo", action="store_true", help="load demo data once the stack is up")
    up.add_argument("--api-port", type=int, default=None, help="API port (default $GTV_API_PORT or 3000)")
    up.add_argument("--template", type=Path, default=None, help="SAM template; its directory holds .local/")

    invoke = local.add_parser("invoke", help="run one function once against the running local stack")
    invoke.add_argument("function", help="logical id in template.yaml, e.g. RetentionFunction")
    invoke.add_argument("--event", default="-", help="event JSON file, or - for stdin (default)")
    invoke.add_argument("--template", type=Path, default=None, help="SAM template (default: the repo's)")

    events_cmd = local.add_parser("events", help="print a sample event")
    events_cmd.add_argument("--template", type=Path, default=None, help="SAM template (default: the repo's)")
    ev = events_cmd.add_subparsers(dest="kind", required=True)
    s3 = ev.add_parser("s3-put", help="an S3 ObjectCreated event, wrapped in SQS when the bucket notifies a queue")
    s3.add_argument("--key", required=True)
    s3.add_argument("--bucket", help="bucket name (default: the template's first bucket)")
    s3.add_argument("--size", type=int, default=0)
    s3.add_argument("--raw", action="store_true", help="the bare S3 notification, not wrapped in an SQS event")
    sqs = ev.add_parser("sqs", help="an SQS event")
    sqs.add_argument("--body", action="append", default=None, help="a record body (repeatable)")
    sqs.add_argument("--queue", help="queue logical id (default: the first queue)")
    sched = ev.add_parser("schedule", help="an EventBridge Scheduled Event")
    sched.add_argument("--function", help="function logical id (default: the first with a Schedule event)")
    api = ev.add_parser("api", help="an API Gateway REST proxy event")
    api.add_argument("--path", required=True)
    api.add_argument("--method", default="GET")
    api.add_argument("--body", default=None)
    api.add_argument("--header", action="append", default=[], help="Name: value (repeatable)")

    local.add_parser("recorder", help="record a source into segments in the recordings bucket", add_help=False)
    redrive = local.add_parser("redrive", help="move a dead-letter queue's messages back to its source queue")
    redrive.add_argument("queue", help="logical id of the queue (or of its DLQ), e.g. SegmentUploadQueue")
    redrive.add_argument("--template", type=Path, default=None)

    routes = sub.add_parser("routes", help="template.yaml Api events").add_subparsers(
        dest="routes_command", required=True
    )
    sync = routes.add_parser("sync", help="regenerate the API ROUTES block from functions/api/app.py")
    sync.add_argument("--check", action="store_true", help="exit 1 when the template is out of sync")

    openapi = sub.add_parser("openapi", help="write docs/openapi.json from functions/api/app.py")
    openapi.add_argument("--check", action="store_true", help="exit 1 when docs/openapi.json is out of date")

    sub.add_parser("verify", help="check a clip against its signed evidence manifest", add_help=False)

    nodes = sub.add_parser("nodes", help="MediaMTX nodes (DATABASE_URL): add or retire").add_subparsers(
        dest="nodes_command", required=True
    )
    add = nodes.add_parser("add", help="register a node (infra/mediamtx/node.yaml outputs) or update it")
    add.add_argument("node_id")
    add.add_argument("api_url", help="control API, e.g. http://node-1.gtvision.internal:9997")
    add.add_argument("public_host", help="the node's public host (load balancer DNS)")
    add.add_argument("--capacity", type=int, default=200)
    retire = nodes.add_parser("retire", help="take a node out of service; its cameras move to the others")
    retire.add_argument("node_id")

    sub.add_parser(
        "migrate",
        help="apply the SQL migrations to DATABASE_URL (or DATABASE_SECRET_ARN + DATABASE_HOST/PORT/NAME) and make"
        " GTV_DB_STATEMENT_TIMEOUT_S the database's default statement timeout (run once per deploy)",
    )

    pkg = sub.add_parser("package", help="assemble the Lambda layout, import every handler, check sizes")
    pkg.add_argument("--out", default=".aws-sam/assembled", help="where to assemble (replaced)")
    pkg.add_argument("--sam", action="store_true", help="also run `sam build` and check its output")
    return parser


def _hook(module: str, argv: list[str]) -> int:
    """Delegate to another module's ``main(argv)`` (written separately), imported only when used."""
    try:
        mod = importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{module}":
            raise
        print(f"gtvision_local.{module} ainda não existe nesta versão.", file=sys.stderr)
        return 2
    return int(mod.main(argv) or 0)


def _read_event(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text) if text.strip() else {}


def cmd_invoke(function_id: str, event_source: str, template_path: Path | None = None) -> int:
    """Run one function once; only its JSON result (or Lambda's error JSON) goes to stdout."""
    from .logs import configure_logging
    from .runtime import Runtime
    from .stack import invoke_env

    result_out = sys.stdout
    # Everything else - prints, EMF, loggers that bind sys.stdout when their module is imported
    # (Powertools does) - goes to stderr, so the result stays pipeable into jq.
    with contextlib.redirect_stdout(sys.stderr):
        configure_logging(os.environ.get("GTV_LOG_LEVEL", "INFO"))
        template = invoke_env(template_path)
        event = _read_event(event_source)
        runtime = Runtime(template)
        if function_id not in runtime.functions:
            print(f"função desconhecida: {function_id} (existem: {', '.join(runtime.functions)})", file=sys.stderr)
            return 2
        try:
            result = runtime.invoke(function_id, event)
        except Exception as exc:
            error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            print(json.dumps(error, indent=2), file=result_out)
            return 1
    print(json.dumps(result, indent=2, default=str, ensure_ascii=False), file=result_out)
    return 0


def cmd_redrive(queue_id: str, template_path: Path | None = None) -> int:
    """Move the DLQ's messages of `queue_id` back to its source queue of the running local stack."""
    from .logs import configure_logging
    from .redrive import dead_letter_consumers_note, redrive
    from .stack import invoke_env

    configure_logging(os.environ.get("GTV_LOG_LEVEL", "INFO"))
    template = invoke_env(template_path)
    try:
        moved = redrive(template, queue_id)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"{moved} mensagem(ns) devolvida(s) à fila de origem")
    note = dead_letter_consumers_note(template, queue_id)
    if note and not moved:
        print(note)
    return 0


def sample_event(template: Template, args: argparse.Namespace) -> Any:
    """The event ``gtvision local events <kind>`` prints."""
    if args.kind == "s3-put":
        buckets = template.buckets()
        bucket = next((b for b in buckets if b.name == args.bucket), None) or (buckets[0] if buckets else None)
        name = args.bucket or (bucket.name if bucket else "bucket")
        notification = events.s3_event(name, args.key, size=args.size)
        if args.raw or not bucket or not bucket.queue_notifications:
            return notification
        return events.sqs_event([json.dumps(notification)], bucket.queue_notifications[0].queue_arn)
    if args.kind == "sqs":
        queues = template.queues()
        queue = next((q for q in queues if q.logical_id == args.queue), None) or (queues[0] if queues else None)
        arn = queue.arn if queue else template.queue_arn("Queue")
        return events.sqs_event(args.body or ["{}"], arn)
    if args.kind == "schedule":
        targets = [(fn, ev) for fn in template.functions() for ev in fn.events_of(ScheduleEvent)]
        chosen = next((t for t in targets if t[0].logical_id == args.function), None) or (
            targets[0] if targets else None
        )
        if chosen and chosen[1].input:
            return json.loads(chosen[1].input)  # a constant Input replaces the event, as in EventBridge
        rule = events.schedule_rule_arn(*(chosen[0].logical_id, chosen[1].name) if chosen else ("Function", "Schedule"))
        return events.scheduled_event(rule, datetime.now(UTC))
    if args.kind == "api":
        from .gateway import Route, resolve_route

        routes = [Route(fn.logical_id, e.path, e.method) for fn in template.functions() for e in fn.events_of(ApiEvent)]
        route, _, params = resolve_route(routes, args.method.upper(), args.path.split("?", 1)[0])
        from urllib.parse import parse_qsl, unquote, urlsplit

        split = urlsplit(args.path)
        headers = [tuple(h.split(":", 1)) for h in args.header]
        if args.body is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return events.api_gateway_event(
            method=args.method.upper(),
            path=unquote(split.path),
            resource=route.path if route else split.path,
            path_parameters=params,
            headers=[(k.strip(), v.strip()) for k, v in headers],
            query=parse_qsl(split.query, keep_blank_values=True),
            body=args.body.encode() if args.body is not None else None,
        )
    raise ValueError(args.kind)


def cmd_migrate() -> int:
    """Apply pending migrations with a line per step; the database is the settings' (secrets resolved)."""
    import psycopg

    from gtvision.core import migrations
    from gtvision.core.settings import get_settings

    settings = get_settings()
    if not settings.database_url:
        print("DATABASE_URL não definida (nem DATABASE_SECRET_ARN com DATABASE_HOST)", file=sys.stderr)
        return 2
    ms = int(settings.db_statement_timeout_s * 1000)
    try:
        applied = migrations.apply(
            settings.database_url, statement_timeout_ms=ms, progress=lambda step: print(f"  {step}", flush=True)
        )
    except psycopg.Error as exc:
        print(f"migração falhou: {exc}".strip(), file=sys.stderr)
        return 1
    print(f"{len(applied)} migração(ões) aplicada(s); o banco está em dia" if applied else "o banco já estava em dia")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # pgserver asks platformdirs for a runtime dir that headless machines lack; the fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    # Hooks take their own arguments: hand everything after the subcommand over untouched.
    if argv[:1] == ["verify"]:
        return _hook("verify", argv[1:])
    if argv[:2] == ["local", "recorder"]:
        return _hook("recorder", argv[2:])
    args = _parser().parse_args(argv)
    if args.command == "migrate":
        return cmd_migrate()
    if args.command == "local":
        if args.local_command == "up":
            from .stack import run_up

            return run_up(demo=args.demo, api_port=args.api_port, template_path=args.template)
        if args.local_command == "invoke":
            return cmd_invoke(args.function, args.event, args.template)
        if args.local_command == "redrive":
            return cmd_redrive(args.queue, args.template)
        if args.local_command == "events":
            print(json.dumps(sample_event(load_template(args.template), args), indent=2, ensure_ascii=False))
            return 0
    if args.command == "nodes":
        from gtvision.streams import placement

        if args.nodes_command == "add":
            host = args.public_host
            placement.register_node(
                {
                    "id": args.node_id,
                    "api_url": args.api_url,
                    "hls_url": f"https://{host}:8888",
                    "webrtc_url": f"https://{host}:8889",
                    "rtsp_url": f"rtsp://{host}:8554",
                    "capacity": args.capacity,
                }
            )
            print(f"nó {args.node_id} registrado (capacidade {args.capacity} câmeras)")
            return 0
        moved = placement.retire_node(args.node_id)
        print(f"nó {args.node_id} fora de serviço; {len(moved)} câmera(s) movida(s): reinicie seus streams")
        return 0
    if args.command == "package":
        from .package import DOMAIN_LAYER_DIR, assemble, check, format_reports
        from .package_images import check_images, format_images
        from .sam import layout_of_sam_build, real_python, run_sam_build, sam_available

        template_path = repo_root() / "template.yaml"
        layout = assemble(template_path, repo_root() / args.out)
        reports = check(layout)
        print("montagem (layout do Lambda):\n" + format_reports(reports))
        problems = [p for r in reports for p in r.problems]
        if layout.images:
            print(format_images(layout))
            problems += check_images(layout, repo_root() / DOMAIN_LAYER_DIR / "python")
        if args.sam:
            if not sam_available():
                print("sam build pulado: SAM CLI ou python3.12 fora do PATH", file=sys.stderr)
            else:
                build_dir = repo_root() / ".aws-sam" / "build"
                run_sam_build(template_path, build_dir)
                sam_layout = layout_of_sam_build(template_path, build_dir, layout.runtime_dir)
                sam_reports = check(sam_layout, python=real_python("python3.12"))
                print("sam build:\n" + format_reports(sam_reports))
                problems += [p for r in sam_reports for p in r.problems]
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    if args.command == "routes":
        from .routes import sync

        path = repo_root() / "template.yaml"
        in_sync = sync(path, check=args.check)
        if in_sync:
            print("template.yaml: rotas em dia com functions/api/app.py")
            return 0
        if args.check:
            print(
                "template.yaml está fora de sincronia com functions/api/app.py: rode `gtvision routes sync`",
                file=sys.stderr,
            )
            return 1
        print("template.yaml: bloco API ROUTES regenerado")
        return 0
    if args.command == "openapi":
        from .openapi_doc import sync as sync_openapi

        if sync_openapi(repo_root(), check=args.check):
            print("docs/openapi.json: em dia com functions/api/app.py")
            return 0
        if args.check:
            print("docs/openapi.json está desatualizado: rode `make openapi`", file=sys.stderr)
            return 1
        print("docs/openapi.json: regenerado")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
