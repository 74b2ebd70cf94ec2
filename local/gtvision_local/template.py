"""Read ``template.yaml`` (SAM) and resolve its intrinsics for the local world.

The local runtime never repeats what the template says: functions, events, buckets, queues and
topics all come from here. Intrinsics resolve to what the emulator will hold — a queue ``!Ref`` is
its URL on the emulator, a bucket ``!Ref`` its name — with the pseudo parameters of a fixed
local account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cfn import PARTITION, Intrinsics, load_yaml
from .paths import repo_root

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
DEFAULT_ENDPOINT = "http://127.0.0.1:4566"

# ---------------------------------------------------------------- specs


@dataclass(frozen=True)
class ApiEvent:
    name: str
    path: str
    method: str  # upper case; "ANY" matches every method


@dataclass(frozen=True)
class SqsEvent:
    name: str
    queue: str  # logical id of the AWS::SQS::Queue
    batch_size: int = 10
    function_response_types: tuple[str, ...] = ()
    enabled: bool = True
    batching_window: int = 0  # MaximumBatchingWindowInSeconds: wait this long to fill a batch
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency: batches in flight at once

    @property
    def reports_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class ScheduleEvent:
    name: str
    expression: str
    enabled: bool = True
    input: str | None = None  # JSON text that replaces the event, as EventBridge's constant input


@dataclass(frozen=True)
class S3Event:
    name: str
    bucket: str  # logical id of the AWS::S3::Bucket
    events: tuple[str, ...]
    filter: dict[str, Any] | None = None


EventSpec = ApiEvent | SqsEvent | ScheduleEvent | S3Event


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout: int
    env: dict[str, str]
    events: list[EventSpec] = field(default_factory=list)
    memory_size: int = 128
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions
    description: str = ""
    #: "Zip", or "Image": a container image built from a Dockerfile in the repository (run from source locally).
    package_type: str = "Zip"

    def events_of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@dataclass(frozen=True)
class Redrive:
    dlq: str  # logical id of the dead-letter queue
    dlq_name: str
    max_receive_count: int


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    url: str
    arn: str
    visibility_timeout: int = 30
    message_retention: int | None = None
    redrive: Redrive | None = None


@dataclass(frozen=True)
class QueueNotification:
    events: tuple[str, ...]
    queue_arn: str
    filter_rules: tuple[tuple[str, str], ...] = ()  # (prefix|suffix, value)


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    queue_notifications: list[QueueNotification] = field(default_factory=list)


@dataclass(frozen=True)
class TopicSpec:
    logical_id: str
    name: str
    arn: str


# ---------------------------------------------------------------- template


class Template(Intrinsics):
    """A loaded SAM template with intrinsics resolved against the local emulator."""

    def __init__(
        self,
        path: Path | str,
        *,
        parameters: dict[str, str] | None = None,
        endpoint_url: str | None = None,
        region: str = REGION,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.doc: dict[str, Any] = load_yaml(self.path.read_text(encoding="utf-8"))
        self.resources: dict[str, dict[str, Any]] = self.doc.get("Resources") or {}
        self.endpoint_url = (endpoint_url or DEFAULT_ENDPOINT).rstrip("/")
        self.region = region
        self.account_id = account_id
        declared = self.doc.get("Parameters") or {}
        unknown = set(parameters or {}) - set(declared)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        self.parameters: dict[str, str] = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        self.parameters.update({k: str(v) for k, v in (parameters or {}).items()})

    # ------------------------------------------------------------ names

    def _props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id].get("Properties") or {}

    def bucket_name(self, logical_id: str) -> str:
        name = self._props(logical_id).get("BucketName")
        return str(self.resolve(name)) if name is not None else logical_id.lower()

    def queue_name(self, logical_id: str) -> str:
        props = self._props(logical_id)
        name = props.get("QueueName")
        if name is not None:
            return str(self.resolve(name))
        return f"{logical_id}.fifo" if props.get("FifoQueue") else logical_id

    def queue_url(self, logical_id: str) -> str:
        return f"{self.endpoint_url}/{self.account_id}/{self.queue_name(logical_id)}"

    def queue_arn(self, logical_id: str) -> str:
        return f"arn:{PARTITION}:sqs:{self.region}:{self.account_id}:{self.queue_name(logical_id)}"

    def topic_name(self, logical_id: str) -> str:
        name = self._props(logical_id).get("TopicName")
        return str(self.resolve(name)) if name is not None else logical_id

    def topic_arn(self, logical_id: str) -> str:
        return f"arn:{PARTITION}:sns:{self.region}:{self.account_id}:{self.topic_name(logical_id)}"

    def function_arn(self, logical_id: str) -> str:
        return f"arn:{PARTITION}:lambda:{self.region}:{self.account_id}:function:{logical_id}"

    # ------------------------------------------------------------ views

    def _of_type(self, *kinds: str) -> list[str]:
        return [lid for lid, res in self.resources.items() if res.get("Type") in kinds]

    def globals_env(self) -> dict[str, str]:
        """The ``Globals.Function.Environment.Variables``, resolved to strings."""
        variables = (((self.doc.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get(
            "Variables"
        ) or {}
        return {k: _env_str(self.resolve(v)) for k, v in variables.items()}

    def literal_env_names(self) -> set[str]:
        """Environment variables the template sets to a plain value somewhere (settings such as
        ``GTV_RECORDING_STALL_S: "180"``), as opposed to a reference to a resource or parameter."""
        blocks = [(((self.doc.get("Globals") or {}).get("Function") or {}).get("Environment") or {})]
        blocks += [self._props(lid).get("Environment") or {} for lid in self._of_type("AWS::Serverless::Function")]
        return {
            name
            for block in blocks
            for name, raw in (block.get("Variables") or {}).items()
            if not isinstance(raw, dict | list)
        }

    def functions(self) -> list[FunctionSpec]:
        glob = (self.doc.get("Globals") or {}).get("Function") or {}
        specs = []
        for lid in self._of_type("AWS::Serverless::Function"):
            props = self._props(lid)
            env = self.globals_env()
            own = ((props.get("Environment") or {}).get("Variables")) or {}
            env.update({k: _env_str(self.resolve(v)) for k, v in own.items()})
            package_type = str(self.resolve(props.get("PackageType", "Zip")))
            code_uri = self.resolve(props.get("CodeUri", glob.get("CodeUri", ".")))
            reserved = self.resolve(props.get("ReservedConcurrentExecutions"))
            handler = self.resolve(props.get("Handler", glob.get("Handler", "")))
            if package_type == "Image":
                # Locally an image function runs from its source: the Dockerfile's directory holds the handler.
                meta = self.resources[lid].get("Metadata") or {}
                dockerfile = Path(str(meta.get("DockerContext", "."))) / str(meta.get("Dockerfile", "Dockerfile"))
                code_uri = str(dockerfile.parent)
                handler = ((props.get("ImageConfig") or {}).get("Command") or [""])[0]
            specs.append(
                FunctionSpec(
                    logical_id=lid,
                    code_uri=(self.root / str(code_uri)).resolve(),
                    handler=str(handler),
                    timeout=int(self.resolve(props.get("Timeout", glob.get("Timeout", 3)))),
                    memory_size=int(self.resolve(props.get("MemorySize", glob.get("MemorySize", 128)))),
                    env=env,
                    events=[self._event(lid, name, ev) for name, ev in (props.get("Events") or {}).items()],
                    reserved_concurrency=int(reserved) if reserved not in (None, "") else None,
                    description=str(self.resolve(props.get("Description", "")) or ""),
                    package_type=package_type,
                )
            )
        return specs

    def function(self, logical_id: str) -> FunctionSpec:
        for spec in self.functions():
            if spec.logical_id == logical_id:
                return spec
        known = ", ".join(s.logical_id for s in self.functions()) or "none"
        raise KeyError(f"no function {logical_id!r} in {self.path.name} (known: {known})")

    def consumers(self, queue_logical_id: str) -> list[FunctionSpec]:
        """The functions an enabled SQS event source feeds from the queue (a DLQ's own consumer, say)."""
        fed = [
            fn for fn in self.functions() for e in fn.events_of(SqsEvent) if e.queue == queue_logical_id and e.enabled
        ]
        return list({fn.logical_id: fn for fn in fed}.values())

    def _logical_id_of(self, raw: Any, kind: str) -> str:
        """The logical id behind an event's ``Queue``/``Bucket`` property (``!GetAtt X.Arn``, ``!Ref X``, ARN)."""
        if isinstance(raw, dict):
            if "Fn::GetAtt" in raw:
                target = raw["Fn::GetAtt"]
                return (target.split(".", 1) if isinstance(target, str) else target)[0]
            if "Ref" in raw:
                return raw["Ref"]
        resolved = str(self.resolve(raw))
        for lid in self._of_type(kind):
            if kind == "AWS::SQS::Queue" and resolved in (self.queue_arn(lid), self.queue_url(lid)):
                return lid
            if kind == "AWS::S3::Bucket" and resolved == self.bucket_name(lid):
                return lid
        raise ValueError(f"event source {resolved!r} is not a {kind} of this template")

    def _event(self, function_id: str, name: str, event: dict[str, Any]) -> EventSpec:
        kind = event.get("Type")
        props = event.get("Properties") or {}
        if kind in ("Api", "HttpApi"):
            return ApiEvent(name, str(self.resolve(props["Path"])), str(self.resolve(props["Method"])).upper())
        if kind == "SQS":
            maximum = self.resolve((props.get("ScalingConfig") or {}).get("MaximumConcurrency"))
            return SqsEvent(
                name=name,
                queue=self._logical_id_of(props["Queue"], "AWS::SQS::Queue"),
                batch_size=int(self.resolve(props.get("BatchSize", 10))),
                function_response_types=tuple(self.resolve(props.get("FunctionResponseTypes", []))),
                enabled=bool(self.resolve(props.get("Enabled", True))),
                batching_window=int(self.resolve(props.get("MaximumBatchingWindowInSeconds", 0))),
                maximum_concurrency=int(maximum) if maximum not in (None, "") else None,
            )
        if kind in ("Schedule", "ScheduleV2"):
            enabled = self.resolve(props.get("Enabled", True))
            if "State" in props:
                enabled = str(self.resolve(props["State"])).upper() == "ENABLED"
            expression = self.resolve(props.get("Schedule") or props.get("ScheduleExpression"))
            raw_input = self.resolve(props.get("Input")) if "Input" in props else None
            return ScheduleEvent(name, str(expression), bool(enabled), raw_input)
        if kind == "S3":
            events = self.resolve(props["Events"])
            return S3Event(
                name=name,
                bucket=self._logical_id_of(props["Bucket"], "AWS::S3::Bucket"),
                events=tuple([events] if isinstance(events, str) else events),
                filter=self.resolve(props.get("Filter")),
            )
        raise ValueError(f"{function_id}.{name}: event type {kind!r} is not supported locally")

    def buckets(self) -> list[BucketSpec]:
        specs = []
        for lid in self._of_type("AWS::S3::Bucket"):
            config = self.resolve(self._props(lid).get("NotificationConfiguration") or {})
            notifications = []
            for q in config.get("QueueConfigurations", []):
                rules = ((q.get("Filter") or {}).get("S3Key") or {}).get("Rules", [])
                notifications.append(
                    QueueNotification(
                        events=(q["Event"],),
                        queue_arn=q["Queue"],
                        filter_rules=tuple((r["Name"].lower(), r["Value"]) for r in rules),
                    )
                )
            specs.append(BucketSpec(lid, self.bucket_name(lid), notifications))
        return specs

    def queues(self) -> list[QueueSpec]:
        specs = []
        for lid in self._of_type("AWS::SQS::Queue"):
            props = self._props(lid)
            redrive = None
            raw = props.get("RedrivePolicy")
            if raw:
                if isinstance(raw, str):
                    raw = json.loads(raw)
                dlq = self._logical_id_of(raw["deadLetterTargetArn"], "AWS::SQS::Queue")
                redrive = Redrive(dlq, self.queue_name(dlq), int(self.resolve(raw["maxReceiveCount"])))
            retention = props.get("MessageRetentionPeriod")
            specs.append(
                QueueSpec(
                    logical_id=lid,
                    name=self.queue_name(lid),
                    url=self.queue_url(lid),
                    arn=self.queue_arn(lid),
                    visibility_timeout=int(self.resolve(props.get("VisibilityTimeout", 30))),
                    message_retention=int(self.resolve(retention)) if retention is not None else None,
                    redrive=redrive,
                )
            )
        return specs

    def topics(self) -> list[TopicSpec]:
        return [TopicSpec(lid, self.topic_name(lid), self.topic_arn(lid)) for lid in self._of_type("AWS::SNS::Topic")]


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def load_template(
    path: Path | str | None = None,
    *,
    parameters: dict[str, str] | None = None,
    endpoint_url: str | None = None,
) -> Template:
    """Load ``path`` (default: the repository's ``template.yaml``)."""
    return Template(path or repo_root() / "template.yaml", parameters=parameters, endpoint_url=endpoint_url)
