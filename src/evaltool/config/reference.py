"""The configuration reference, generated from the schema so it cannot drift.

:func:`config_reference` walks :class:`~evaltool.config.schema.StudyConfig` and
returns one row per key path (``design.caliper``, ``outcomes[].weeks``, ...) with
its type, default, bounds, allowed values and description (the attribute
docstring in the schema). :func:`config_reference_markdown` renders the rows
as the Markdown page of the documentation site; the docs build generates that
page on every build, and a test checks that every key has a description.

Examples
--------
>>> from evaltool.config.reference import config_reference
>>> rows = config_reference()
>>> any(r.key == "design.caliper" for r in rows)
True
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

__all__ = ["ConfigKey", "config_reference", "config_reference_markdown"]

_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("min_length", "min length"),
           ("max_length", "max length"), ("pattern", "pattern"))


def _bound(word: str, value: Any) -> str:
    return f"pattern `{value}`" if word == "pattern" else f"{word} {value}"


@dataclass(frozen=True)
class ConfigKey:
    """One key of the configuration.

    Attributes
    ----------
    key : str
        Dotted path; list items are written ``outcomes[].name``.
    section : str
        The top-level section.
    type : str
        The accepted type(s) in words.
    default : str
        The default (``required`` when there is none).
    bounds : str
        Numeric bounds, lengths and patterns.
    description : str
        What the key means (the schema's attribute docstring).
    """

    key: str
    section: str
    type: str
    default: str
    bounds: str
    description: str


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return True
    return any(_is_list(a) for a in typing.get_args(annotation)
               if typing.get_origin(annotation) in (typing.Union, types.UnionType))


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is type(None):
        return "null"
    if origin is Literal:
        return " | ".join(repr(a) if not isinstance(a, str) else f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_type_name(a) for a in args))
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (list, tuple):
        inner = ", ".join(_type_name(a) for a in args if a is not Ellipsis) or "any"
        return f"list of {inner}"
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "section"
        return {"str": "text", "int": "integer", "float": "number", "bool": "true/false",
                "Path": "path"}.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def _bounds(info: FieldInfo) -> str:
    found: list[str] = []
    for meta in info.metadata:
        for attr, word in _BOUNDS:
            value = getattr(meta, attr, None)
            if value is not None:
                found.append(_bound(word, value))
    for arg in typing.get_args(info.annotation):  # Annotated[..., Field(...)] inside a union
        for meta in getattr(arg, "__metadata__", ()):
            for inner in (meta, *getattr(meta, "metadata", ())):
                for attr, word in _BOUNDS:
                    value = getattr(inner, attr, None)
                    if value is not None:
                        found.append(_bound(word, value))
    return ", ".join(dict.fromkeys(found))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()
    else:
        value = info.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return "(section defaults)"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == [] or value == ():
        return "[]"
    return f"`{value}`"


def _walk(model: type[BaseModel], prefix: str, section: str, seen: tuple) -> list[ConfigKey]:
    rows: list[ConfigKey] = []
    for name, info in model.model_fields.items():
        key_name = info.alias or name
        key = f"{prefix}{key_name}"
        sec = section or key_name
        rows.append(ConfigKey(key=key, section=sec, type=_type_name(info.annotation),
                              default=_default(info), bounds=_bounds(info),
                              description=" ".join((info.description or "").split())))
        for sub in _models_in(info.annotation):
            if sub in seen:
                continue
            sub_prefix = f"{key}[]." if _is_list(info.annotation) else f"{key}."
            rows.extend(_walk(sub, sub_prefix, sec, (*seen, sub)))
    return rows


def config_reference(model: type[BaseModel] | None = None) -> list[ConfigKey]:
    """Every key of the study configuration, in schema order.

    Parameters
    ----------
    model : pydantic model class, optional
        The root model; default :class:`~evaltool.config.schema.StudyConfig`.

    Returns
    -------
    list of ConfigKey
    """
    if model is None:
        from evaltool.config.schema import StudyConfig

        model = StudyConfig
    return _walk(model, "", "", (model,))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def config_reference_markdown(model: type[BaseModel] | None = None) -> str:
    """The configuration reference as one Markdown page (a table per section)."""
    rows = config_reference(model)
    lines = ["# Configuration reference", "",
             "Generated from the schema (`evaltool.config.schema`) on every build of this site, so it",
             "cannot drift from what `evaltool validate` accepts. Unknown keys are errors everywhere.", ""]
    for section in dict.fromkeys(r.section for r in rows):
        lines += [f"## `{section}`", "", "| key | type | default | bounds | meaning |",
                  "|---|---|---|---|---|"]
        for r in rows:
            if r.section == section:
                lines.append(f"| `{r.key}` | {_cell(r.type)} | {_cell(r.default)} | {_cell(r.bounds)} | "
                             f"{_cell(r.description)} |")
        lines.append("")
    return "\n".join(lines)
