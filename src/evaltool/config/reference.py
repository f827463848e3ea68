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

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path
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
    example : str
        The key's value in a bundled config (``configs/*.yaml``, the demo), or ``""``.
    """

    key: str
    section: str
    type: str
    default: str
    bounds: str
    description: str
    example: str = ""


def _spec_rules() -> dict[str, tuple[str, str]]:
    """Allowed values and bounds that the dataclass specs (not the schema's types) enforce.

    ``design:`` and ``effects:`` hold plain ``str``/``int`` fields whose rules live in
    :class:`~evaltool.specs.MatchSpec`, :class:`~evaltool.specs.PropensitySpec` and
    :class:`~evaltool.specs.EffectsSpec`; they are read from the specs' own constants here,
    so the reference shows what ``evaltool validate`` accepts.
    """
    from evaltool.specs import effects as fx
    from evaltool.specs import matching as mx
    from evaltool.specs.propensity import PROPENSITY_MODELS

    def one_of(values: Any) -> str:
        return " | ".join(f"`{v}`" for v in values)

    aliases = ", ".join(f"`{a}`" for a in sorted(fx.VARIANCE_ALIASES))
    return {
        "design.method": (one_of(mx.MATCH_METHODS), ""),
        "design.estimand": (one_of(("ATT", "ATC")), ""),
        "design.propensity.model": (one_of(PROPENSITY_MODELS), ""),
        "design.distance": (one_of(("glm", "logit", "mahalanobis")), ""),
        "design.ratio": ("integer", "≥ 1"),
        "design.caliper": ("number or null", "> 0"),
        "design.caliper_scale": (one_of(mx.CALIPER_SCALES), ""),
        "design.m_order": (one_of(mx.M_ORDERS) + " or null", ""),
        "design.discard": (one_of(mx.DISCARDS), ""),
        "effects.method": (one_of(fx.EFFECT_METHODS), ""),
        "effects.variance": (one_of(fx.VARIANCE_NAMES) + f" (aliases {aliases}) or null", ""),
        "effects.adjust": (one_of(fx.ADJUSTMENTS), ""),
        "effects.n_boot": ("integer", f"≥ {fx.N_BOOT[0]}, ≤ {fx.N_BOOT[1]}"),
        "effects.alpha": ("number", "> 0, < 0.5"),
        "execution.workers": ("integer", f"≥ 1 or -1 (one per core), ≤ {fx.N_JOBS[1]}"),
        "execution.scheduler": ("`local` or a scheduler address (`tcp://host:8786`) or null", ""),
    }


def _example_configs() -> list[Path]:
    from importlib.resources import files

    root = Path(__file__).resolve().parents[3]
    found = sorted((root / "configs").glob("*.yaml")) if (root / "configs").is_dir() else []
    return [*found, Path(str(files("evaltool.resources") / "demo.yaml"))]


def _examples() -> dict[str, str]:
    """``key -> value`` from the bundled study configs (first one that sets the key; leaves only)."""
    import yaml

    out: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                key = f"{prefix}{k}"
                if not isinstance(v, (dict, list)) or (isinstance(v, list) and not any(
                        isinstance(x, dict) for x in v)):
                    text = yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10_000)
                    text = text.strip().removesuffix("...").strip()
                    out.setdefault(key, text if len(text) <= 48 else text[:45] + "…")
                walk(v, key + ".")
        elif isinstance(node, list):
            for item in node:
                walk(item, prefix[:-1] + "[].") if isinstance(item, dict) else None

    for path in _example_configs():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "study" in doc:
            walk(doc, "")
    return out


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

        rows = _walk(StudyConfig, "", "", (StudyConfig,))
        rules, examples = _spec_rules(), _examples()
        out = []
        for r in rows:
            typ, bounds = rules.get(r.key, (r.type, r.bounds))
            out.append(dataclasses.replace(r, type=typ, bounds=bounds or r.bounds,
                                           example=examples.get(r.key, "")))
        return out
    return _walk(model, "", "", (model,))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def config_reference_markdown(model: type[BaseModel] | None = None) -> str:
    """The configuration reference as one Markdown page (a table per section).

    Parameters
    ----------
    model : pydantic model class, optional
        The root model; default :class:`~evaltool.config.schema.StudyConfig`.

    Returns
    -------
    str
        Markdown: a table per top-level section with key, type, default, bounds, meaning, example.

    Examples
    --------
    >>> page = config_reference_markdown()
    >>> "| `design.caliper` |" in page and "SDs of the logit score" in page
    True
    """
    rows = config_reference(model)
    lines = ["# Configuration reference", "",
             "Generated from the schema (`evaltool.config.schema`) on every build of this site, so it",
             "cannot drift from what `evaltool validate` accepts. Unknown keys are errors everywhere.",
             "Allowed values and bounds of `design` and `effects` come from the stage specs that check them;",
             "examples are the values the bundled configs (`configs/*.yaml` and the demo study) use.", ""]
    for section in dict.fromkeys(r.section for r in rows):
        lines += [f"## `{section}`", "", "| key | type | default | bounds | meaning | example |",
                  "|---|---|---|---|---|---|"]
        for r in rows:
            if r.section == section:
                example = f"`{_cell(r.example)}`" if r.example else ""
                lines.append(f"| `{r.key}` | {_cell(r.type)} | {_cell(r.default)} | {_cell(r.bounds)} | "
                             f"{_cell(r.description)} | {example} |")
        lines.append("")
    return "\n".join(lines)
