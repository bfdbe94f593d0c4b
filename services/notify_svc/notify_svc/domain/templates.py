"""Message templates (NTF-1): named "node – recipient", typed variables, a subject and body per
channel and language, rendered in a sandbox where an undefined variable is an error, not a blank.

A template's content is a list of pieces ``{language, channel, subject, body}``; channel ``*``
serves every channel without its own piece. Rendering picks the receiver's language first, then
the default language, so a template only needs to say what differs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from notify_svc.exceptions import TemplateInvalid

DEFAULT_LANGUAGE = "zh-CN"
ANY_CHANNEL = "*"
VARIABLE_TYPES = ("string", "number", "datetime", "url")

# one environment for the process: sandboxed (no attribute access to internals, no imports),
# strict (an undefined name raises instead of rendering "")
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)


@dataclass(frozen=True)
class Variable:
    name: str
    type: str = "string"
    description: str = ""
    sample: str = ""


@dataclass(frozen=True)
class Content:
    language: str
    channel: str
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@dataclass
class MessageTemplate:
    name: str
    variables: list[Variable]
    contents: list[Content]
    channels: list[str]
    node_kind: str | None = None
    trigger: str | None = None
    recipient: str | None = None
    description: str = ""
    deleted: bool = False
    updated_at: datetime | None = None
    id: str | None = None
    builtin: bool = False

    @property
    def variable_names(self) -> list[str]:
        return [v.name for v in self.variables]

    def validate(self) -> None:
        """Refuse at save what would fail at send: syntax errors and names not declared (NTF-1)."""
        errors: dict[str, list[str]] = {}
        if not self.contents:
            errors["contents"] = ["give at least one subject and body"]
        declared = set(self.variable_names)
        if len(declared) != len(self.variables):
            errors["variables"] = ["variable names must be unique"]
        for i, piece in enumerate(self.contents):
            for part in ("subject", "body"):
                source = getattr(piece, part)
                try:
                    used = meta.find_undeclared_variables(_ENV.parse(source))
                except TemplateError as exc:
                    errors.setdefault(f"contents.{i}.{part}", []).append(f"does not parse: {exc}")
                    continue
                unknown = sorted(used - declared)
                if unknown:
                    errors.setdefault(f"contents.{i}.{part}", []).append(
                        f"unknown variable(s): {', '.join(unknown)}; declare them in variables")
        if errors:
            raise TemplateInvalid(f"Message template {self.name!r} is not valid.", errors)

    def piece_for(self, channel: str, language: str) -> Content:
        by_key = {(c.language, c.channel): c for c in self.contents}
        for key in ((language, channel), (language, ANY_CHANNEL), (DEFAULT_LANGUAGE, channel),
                    (DEFAULT_LANGUAGE, ANY_CHANNEL)):
            if key in by_key:
                return by_key[key]
        exact = [c for c in self.contents if c.channel in (channel, ANY_CHANNEL)]
        return (exact or self.contents)[0]

    def render(self, channel: str, language: str, values: dict) -> Rendered:
        """Render for one channel and language; a variable missing from ``values`` is an error."""
        piece = self.piece_for(channel, language)
        try:
            return Rendered(_ENV.from_string(piece.subject).render(values).strip(),
                            _ENV.from_string(piece.body).render(values).strip())
        except TemplateError as exc:
            raise TemplateInvalid(f"Message template {self.name!r} cannot render: {exc}",
                                  {"variables": [str(exc)]}) from None

    def sample_values(self) -> dict:
        return {v.name: v.sample or f"<{v.name}>" for v in self.variables}

    def preview(self, channel: str, language: str, values: dict | None = None) -> Rendered:
        return self.render(channel, language, {**self.sample_values(), **(values or {})})


def template_name(node: str, recipient: str) -> str:
    """The platform's naming rule (TPL-10): "complete project – notify customer"."""
    return f"{node} – notify {recipient}"


@dataclass
class TemplateFilter:
    name_contains: str | None = None
    node_kind: str | None = None
    recipient: str | None = None
    trigger: str | None = None
    include_deleted: bool = False
    sort: str = "name"
    limit: int = 50
    offset: int = 0
    extra: dict = field(default_factory=dict)
