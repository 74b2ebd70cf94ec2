"""CloudFormation in YAML: the short-tag loader (``!Ref``, ``!Sub``...) and intrinsic resolution.

:class:`Intrinsics` resolves ``Ref``/``Fn::*``/conditions against a template's parameters and the
pseudo parameters of a fixed local account; :class:`~gtvision_local.template.Template` supplies the
resource names (what a ``!Ref`` of a queue or bucket means on the emulator).
"""

from __future__ import annotations

import base64
import re
from typing import Any, cast

import yaml

PARTITION = "aws"

# Tags whose long form is not simply "Fn::<Name>".
_SPECIAL_TAGS = {"Ref": "Ref", "Condition": "Condition"}


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags (``!Ref``, ``!Sub``...) into their long form."""


def _construct_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _SPECIAL_TAGS.get(suffix, f"Fn::{suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            # "!GetAtt Queue.Arn" is the short form of ["Queue", "Arn"].
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(cast(yaml.MappingNode, node), deep=True)  # the one node kind left
    return {key: value}


CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(text: str) -> dict[str, Any]:
    """Parse template text, short tags included."""
    return yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader subclass


class Intrinsics:
    """Intrinsic functions over ``doc``/``resources``/``parameters``; names come from the subclass."""

    doc: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    parameters: dict[str, str]
    region: str
    account_id: str

    def bucket_name(self, logical_id: str) -> str:
        raise NotImplementedError

    def queue_name(self, logical_id: str) -> str:
        raise NotImplementedError

    def queue_url(self, logical_id: str) -> str:
        raise NotImplementedError

    def queue_arn(self, logical_id: str) -> str:
        raise NotImplementedError

    def topic_name(self, logical_id: str) -> str:
        raise NotImplementedError

    def topic_arn(self, logical_id: str) -> str:
        raise NotImplementedError

    def function_arn(self, logical_id: str) -> str:
        raise NotImplementedError

    def pseudo_parameters(self) -> dict[str, str | None]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": PARTITION,
            "AWS::StackName": "gtvision-local",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{self.region}:{self.account_id}:stack/gtvision-local/1",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic inside ``value`` (dicts, lists and scalars)."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value if not _is_no_value(v)]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._fn(key[4:], arg)
        return {k: self.resolve(v) for k, v in value.items() if not _is_no_value(v)}

    def _fn(self, name: str, arg: Any) -> Any:
        if name == "GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else self.resolve(arg)
            return self.get_att(parts[0], parts[1])
        if name == "Sub":
            if isinstance(arg, list):
                text, variables = arg[0], self.resolve(arg[1])
            else:
                text, variables = arg, {}
            return self.sub(text, variables)
        if name == "Join":
            sep, items = arg
            return str(sep).join(str(i) for i in self.resolve(items))
        if name == "Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        if name == "Split":
            sep, text = self.resolve(arg)
            return str(text).split(sep)
        if name == "If":
            cond, when_true, when_false = arg
            return self.resolve(when_true if self.condition(cond) else when_false)
        if name in ("Equals", "And", "Or", "Not"):
            return self._condition_fn(name, arg)
        if name == "FindInMap":
            m, k1, k2 = self.resolve(arg)
            return self.doc["Mappings"][m][k1][k2]
        if name == "Base64":
            return base64.b64encode(str(self.resolve(arg)).encode()).decode()
        if name == "GetAZs":
            return [f"{self.region}{z}" for z in "abc"]
        if name == "ImportValue":
            return f"local-import-{self.resolve(arg)}"
        raise ValueError(f"intrinsic Fn::{name} is not supported locally")

    def _condition_fn(self, name: str, arg: Any) -> bool:
        if name == "Equals":
            a, b = self.resolve(arg)
            return str(a) == str(b)
        values = [bool(self.resolve(a)) for a in arg]
        if name == "And":
            return all(values)
        if name == "Or":
            return any(values)
        return not values[0]

    def condition(self, name: str) -> bool:
        conditions = self.doc.get("Conditions") or {}
        if name not in conditions:
            raise ValueError(f"unknown condition {name!r}")
        return bool(self.resolve(conditions[name]))

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = self.pseudo_parameters()
        if name in pseudo:
            return pseudo[name]
        resource = self.resources.get(name)
        if resource is None:
            alias = self.sam_alias(name)
            if alias is not None:
                return alias
            raise ValueError(f"!Ref to unknown name {name!r}")
        kind = resource.get("Type", "")
        if kind == "AWS::S3::Bucket":
            return self.bucket_name(name)
        if kind == "AWS::SQS::Queue":
            return self.queue_url(name)
        if kind == "AWS::SNS::Topic":
            return self.topic_arn(name)
        if kind == "AWS::SecretsManager::Secret":
            # No secret exists until `local up` seeds the emulator (it then sets the ARNs itself); empty = unset.
            return ""
        if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            # Layers are on sys.path locally (editable install); the ARN is only a placeholder.
            return f"arn:{PARTITION}:lambda:{self.region}:{self.account_id}:layer:{name}:1"
        return name

    def sam_alias(self, name: str) -> str | None:
        """The ARN of the alias SAM generates for ``AutoPublishAlias`` (``<Function>Alias<alias>``), or None."""
        match = re.fullmatch(r"(\w+?)Alias(\w+)", name)
        if match is None:
            return None
        function = self.resources.get(match.group(1)) or {}
        if function.get("Type") != "AWS::Serverless::Function":
            return None
        props = function.get("Properties") or {}
        published = props.get("AutoPublishAlias", self.function_globals().get("AutoPublishAlias"))
        if published != match.group(2):
            return None
        return f"{self.function_arn(match.group(1))}:{match.group(2)}"

    def function_globals(self) -> dict[str, Any]:
        """The template's ``Globals.Function`` section."""
        return dict((self.doc.get("Globals") or {}).get("Function") or {})

    def get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise ValueError(f"!GetAtt of unknown resource {logical_id!r}")
        kind = resource.get("Type", "")
        table: dict[tuple[str, str], Any] = {}
        if kind == "AWS::SQS::Queue":
            table = {
                (kind, "Arn"): lambda: self.queue_arn(logical_id),
                (kind, "QueueName"): lambda: self.queue_name(logical_id),
                (kind, "QueueUrl"): lambda: self.queue_url(logical_id),
            }
        elif kind == "AWS::SNS::Topic":
            table = {
                (kind, "TopicName"): lambda: self.topic_name(logical_id),
                (kind, "TopicArn"): lambda: self.topic_arn(logical_id),
            }
        elif kind == "AWS::S3::Bucket":
            table = {
                (kind, "Arn"): lambda: f"arn:{PARTITION}:s3:::{self.bucket_name(logical_id)}",
                (kind, "DomainName"): lambda: f"{self.bucket_name(logical_id)}.s3.amazonaws.com",
                (kind, "RegionalDomainName"): lambda: f"{self.bucket_name(logical_id)}.s3.{self.region}.amazonaws.com",
            }
        elif kind == "AWS::Serverless::Function" and attribute == "Arn":
            return self.function_arn(logical_id)
        elif kind == "AWS::RDS::DBProxy" and attribute == "Endpoint":
            return ""  # locally DATABASE_URL names the embedded server; no proxy
        elif kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{self.account_id}:role/{logical_id}"
        getter = table.get((kind, attribute))
        if getter is None:
            raise ValueError(f"!GetAtt {logical_id}.{attribute} is not supported locally")
        return getter()

    def sub(self, text: str, variables: dict[str, Any] | None = None) -> str:
        variables = variables or {}

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"  # "${!Literal}" escapes the substitution
            if expr in variables:
                return str(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                resource, attribute = expr.split(".", 1)
                return str(self.get_att(resource, attribute))
            return str(self.ref(expr))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def _is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}
