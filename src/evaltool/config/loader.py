"""Load a study config: YAML -> overrides -> pydantic -> :class:`StudyConfig`.

Errors name ``file:line``, the key path, what was found and what is allowed::

    configs/study.yaml:14: design.caliper: must be a number > 0; got -0.2
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evaltool.config.schema import StudyConfig
from evaltool.config.yamlio import LineMap, dotted, load_yaml_with_lines
from evaltool.exceptions import ConfigError

__all__ = ["load_config", "config_from_dict", "apply_overrides", "resolve_path", "config_hash", "dump_config"]


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides (value parsed as YAML) to a copy of ``data``.

    List items are addressed by index: ``outcomes.0.weeks=[1, 26]``.
    """
    import copy

    out = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected key.path=value")
        key, raw = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ConfigError(f"--set {item}: empty key path")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise ConfigError(f"--set {key}: cannot parse value {raw!r}") from None
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            nxt = _child(node, part, item)
            if nxt is None:
                nxt = {}
                _assign(node, part, nxt, item)
            node = nxt
        _assign(node, parts[-1], value, item)
    return out


def _child(node: Any, part: str, item: str) -> Any:
    if isinstance(node, list):
        idx = _index(part, node, item)
        return node[idx]
    if isinstance(node, dict):
        return node.get(part)
    raise ConfigError(f"--set {item}: cannot descend into {part!r} (parent is not a mapping)")


def _assign(node: Any, part: str, value: Any, item: str) -> None:
    if isinstance(node, list):
        node[_index(part, node, item)] = value
    elif isinstance(node, dict):
        node[part] = value
    else:
        raise ConfigError(f"--set {item}: cannot set {part!r} (parent is not a mapping)")


def _index(part: str, node: list[Any], item: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(f"--set {item}: {part!r} is not an index of a list of {len(node)} items")
    return int(part)


_TYPE_WORDS = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a text string", "list_type": "a list", "tuple_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "path_type": "a file path",
}


class _Short:
    """A value's repr cut to a readable length (a config value can be a huge nested list)."""

    def __init__(self, value: Any, limit: int = 80) -> None:
        text = repr(value)
        self.text = text if len(text) <= limit else text[: limit - 5] + " ...]"

    def __repr__(self) -> str:
        return self.text


def _message(err: dict[str, Any]) -> str:
    typ = err["type"]
    ctx = err.get("ctx") or {}
    got = _Short(err.get("input"))
    if typ == "missing":
        return "required key is missing"
    if typ == "extra_forbidden":
        return "unknown key"
    if typ in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[typ]
        bound = next(iter(ctx.values())) if ctx else "?"
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        return f"must be a number {op} {bound}; got {got!r}"
    if typ == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}; got {got!r}"
    if typ in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[typ]}; got {got!r}"
    if typ == "too_short":
        return f"must have at least {ctx.get('min_length', 1)} item(s); got {got!r}"
    if typ == "string_pattern_mismatch":
        return f"must be an identifier (letters, digits, underscore); got {got!r}"
    if typ == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    return f"{err.get('msg', 'invalid value')}; got {got!r}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Allowed keys of the model at ``loc`` (for 'unknown key' messages)."""
    from pydantic import BaseModel

    model: Any = StudyConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        ann = field.annotation
        inner = _model_in(ann)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields) if isinstance(model, type) else []


def _model_in(ann: Any) -> Any:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in get_args(ann):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


_TAG_WORDS = {"constrained-str": "a text", "str": "a text", "int": "an integer", "float": "a number",
              "bool": "true/false", "Labels": "{da: ..., en: ...}", "list": "a list", "dict": "a mapping"}


def _is_tag(part: Any) -> bool:
    """A pydantic union-member tag in an error location (not a config key)."""
    return isinstance(part, str) and (part in _TAG_WORDS or not re.fullmatch(r"[a-z_][a-z0-9_]*", part))


def _merge_union_errors(errs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One error per union (``title: text or {da, en}``) instead of one per alternative."""
    out: list[dict[str, Any]] = []
    groups: dict[tuple, dict[str, Any]] = {}
    for err in errs:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        k = next((i for i, p in enumerate(loc) if _is_tag(p)), None)
        if k is None:
            out.append({**err, "loc": loc})
            continue
        key = loc[:k]
        word = _TAG_WORDS.get(loc[k], re.sub(r"\[.*", "", str(loc[k])))
        if key not in groups:
            groups[key] = {"type": "union", "loc": key, "input": err.get("input"), "alternatives": []}
            out.append(groups[key])
        if word not in groups[key]["alternatives"]:
            groups[key]["alternatives"].append(word)
    for g in groups.values():
        g["msg"] = f"must be {' or '.join(g['alternatives'])}; got {_Short(g['input'])!r}"
    return out


def _format_errors(exc: ValidationError, source: str, lines: LineMap) -> str:
    errs = _merge_union_errors(exc.errors(include_url=False))

    def one(err: dict[str, Any]) -> str:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        key = getattr((err.get("ctx") or {}).get("error"), "key", None)
        if key:  # a spec rule names its field: point at that key's line
            loc = loc + tuple(key.split("."))
        line = None
        for k in range(len(loc), -1, -1):
            if loc[:k] in lines:
                line = lines[loc[:k]]
                break
        msg = err["msg"] if err["type"] == "union" else _message(err)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            if allowed:
                msg += f"; allowed keys: {', '.join(allowed)}"
        if line == 0:
            where = f"{source} (--set)"
        else:
            where = f"{source}:{line}" if line else source
        return f"{where}: {dotted(loc)}: {msg}"

    first = one(errs[0])
    if len(errs) > 1:
        first += f" (and {len(errs) - 1} more error{'s' if len(errs) > 2 else ''})"
    return first


_NOT_IMPLEMENTED = {
}


def _reject_unimplemented(data: dict[str, Any], source: str, lines: LineMap) -> None:
    """Config keys the schema reserves but no stage implements yet are errors, never silently ignored."""

    def fail(loc: tuple[Any, ...], what: str) -> None:
        line = lines.get(loc)
        where = f"{source} (--set)" if line == 0 else (f"{source}:{line}" if line else source)
        raise ConfigError(f"{where}: {dotted(loc)}: {what} is not implemented yet in this version; "
                          "remove the key")

    for key, what in _NOT_IMPLEMENTED.items():
        if key in data:
            fail((key,), what)


def config_from_dict(data: Any, *, source: str = "<config>", lines: LineMap | None = None,
                     base_dir: Path | None = None) -> StudyConfig:
    """Validate a plain dict as a :class:`StudyConfig`.

    Keys reserved for stages not implemented yet (none at present; see ``_NOT_IMPLEMENTED``) are rejected
    with a :class:`ConfigError` naming them.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the config must be a mapping of sections (study, data, design, outcomes, ...)")
    _reject_unimplemented(data, source, lines or {})
    try:
        cfg = StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source, lines or {})) from None
    object.__setattr__(cfg, "__evaltool_source__", (source, base_dir, dict(lines or {})))
    return cfg


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> StudyConfig:
    """Load and validate a YAML study config.

    Relative data paths are resolved against the config file's folder first,
    then the current directory (see :func:`resolve_path`).

    Parameters
    ----------
    path : str or Path
        The YAML file.
    overrides : sequence of str
        ``key.path=value`` overrides (value parsed as YAML), as ``evaltool run --set``.

    Returns
    -------
    StudyConfig
        The validated, frozen configuration; nothing has been read from the data yet.

    Raises
    ------
    ConfigError
        Any invalid key or combination, named with ``file:line`` (``(--set)`` for an override),
        the key path, what was found and what is allowed.

    Examples
    --------
    The bundled demo config (``evaltool init`` writes it), with a narrower caliper:

    >>> from importlib.resources import files
    >>> path = files("evaltool.resources") / "demo.yaml"
    >>> cfg = load_config(path, ["design.caliper=0.1"])
    >>> cfg.design.caliper, cfg.design.estimand, cfg.outcomes[0].name
    (0.1, 'ATT', 'internship_or_wage_subsidy_52w')
    >>> load_config(path, ["design.ratio=0"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evaltool.exceptions.ConfigError: ...demo.yaml (--set): design.ratio: `ratio` must be an integer >= 1; got 0
    """
    data, lines = load_yaml_with_lines(path)
    if overrides:
        if not isinstance(data, dict):
            data = {}
        data = apply_overrides(data, overrides)
        for item in overrides:
            key = tuple(int(p) if p.isdigit() else p for p in item.split("=", 1)[0].strip().split("."))
            for k in [k for k in lines if k[: len(key)] == key]:
                del lines[k]
            lines[key] = 0  # 0 marks a command-line override
    return config_from_dict(data, source=str(path), lines=lines, base_dir=Path(path).resolve().parent)


def config_source(cfg: StudyConfig) -> tuple[str, Path | None, LineMap]:
    """(source name, base folder, line map) recorded when the config was loaded."""
    return getattr(cfg, "__evaltool_source__", ("<config>", None, {}))


def resolve_path(cfg: StudyConfig, path: Path, key: str) -> Path:
    """Resolve a data path from the config; errors name the key and line."""
    source, base, lines = config_source(cfg)
    candidates = [path] if path.is_absolute() else [p for p in ((base / path) if base else None, Path.cwd() / path) if p]
    for cand in candidates:
        if cand.is_file():
            return cand
    loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    line = lines.get(loc)
    where = f"{source}:{line}" if line else source
    tried = " or ".join(str(c) for c in dict.fromkeys(candidates))
    raise ConfigError(f"{where}: {key}: file not found: {path} (looked for {tried})")


def dump_config(cfg: StudyConfig) -> dict[str, Any]:
    """The config as a plain, JSON/YAML-safe dict with defaults filled in (stable order)."""
    return json.loads(cfg.model_dump_json(by_alias=True))


def config_hash(cfg: StudyConfig) -> str:
    """SHA-256 of the canonical JSON of the validated config (defaults included), without its
    ``execution`` section: where the work ran never changes a result, so it does not change the hash."""
    content = {k: v for k, v in dump_config(cfg).items() if k != "execution"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
