"""The base of the typed ``results.json`` blocks: frozen records with ``to_dict`` / ``from_dict``.

A :class:`Record` is a frozen dataclass whose fields, in declaration order, are the
keys of one JSON object. ``to_dict`` writes them in that order (nested records and
tuples become objects and lists); ``from_dict`` reads them back strictly (unknown
keys and missing required keys are errors naming the path), so written -> read ->
written gives the same bytes. ``suppressed`` holds disclosure marks ``{field: rule}``
(written as ``"_suppressed"`` only when not empty). Fields named in ``_only_when_set`` are
written only when not None (keys a stage returns only in some cases). A pydantic spec
(e.g. :class:`~evaltool.specs.areas.AreaSpec`) is written as its JSON dump.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Point(Record):
...     week: int
...     share: float | None = None
>>> Point.from_dict({"week": 3, "share": 0.5}, "point").to_dict()
{'week': 3, 'share': 0.5}
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from evaltool.exceptions import DataError

__all__ = ["Record", "SUPPRESSED_KEY", "read_spec"]

SUPPRESSED_KEY = "_suppressed"


_SCALARS = (str, int, float, type(None))  # written as they are (bool is an int)


def _plain(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _frozen(value: Any) -> Any:
    """JSON lists as tuples (records stay immutable); objects stay dicts."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Record:
    """One JSON object of results.json (see the module docstring)."""

    suppressed: dict[str, str] = field(default_factory=dict, kw_only=True, repr=False)

    #: field name -> Record class of its value (or of each element of a list value)
    _nested: ClassVar[dict[str, type]] = {}
    #: field name -> JSON key, where they differ (``in_`` -> ``in``)
    _keys: ClassVar[dict[str, str]] = {}
    #: fields written only when not None
    _only_when_set: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _fields(cls) -> list:
        return [f for f in fields(cls) if f.name != "suppressed"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in declaration order; disclosure marks as ``"_suppressed"``."""
        out = {}
        for name, key, optional in _written(type(self)):
            v = getattr(self, name)
            if not (optional and v is None):
                out[key] = v if isinstance(v, _SCALARS) else _plain(v)
        if self.suppressed:
            out[SUPPRESSED_KEY] = dict(self.suppressed)
        return out

    @classmethod
    def from_dict(cls, data: Any, path: str = "results") -> "Record":
        """Read one object strictly; a :class:`DataError` names the path of what is wrong."""
        if not isinstance(data, dict):
            raise DataError(f"{path}: expected an object; got {type(data).__name__}")
        by_key = {cls._keys.get(f.name, f.name): f for f in cls._fields()}
        unknown = [k for k in data if k not in by_key and k != SUPPRESSED_KEY]
        if unknown:
            raise DataError(f"{path}: unknown key {unknown[0]!r}; expected {', '.join(by_key)}")
        kwargs: dict[str, Any] = {}
        for key, f in by_key.items():
            if key not in data:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise DataError(f"{path}: missing {key!r}")
                continue
            kwargs[f.name] = _read(data[key], cls._nested.get(f.name), f"{path}.{key}")
        marks = data.get(SUPPRESSED_KEY) or {}
        return cls(**kwargs, suppressed=dict(marks))

    def marks(self) -> dict[str, str]:
        """The ``{field: rule}`` disclosure marks (empty if nothing was suppressed)."""
        return self.suppressed


_WRITTEN: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _written(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """``(field, JSON key, written only when set)`` of each field of ``cls``, in declaration order (worked out once
    per record type: results.json at 1M persons holds thousands of rows)."""
    if cls not in _WRITTEN:
        _WRITTEN[cls] = tuple((f.name, cls._keys.get(f.name, f.name), f.name in cls._only_when_set)
                              for f in cls._fields())
    return _WRITTEN[cls]


def _read(value: Any, rec: type | None, path: str) -> Any:
    if rec is None:
        return _frozen(value)
    if isinstance(value, list):
        return tuple(_read(v, rec, f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(value, dict):
        return rec.from_dict(value, path)
    return _frozen(value)  # null, or a legacy plain value (e.g. a sample rule written as text)


def read_spec(model: type[BaseModel], data: Any, path: str) -> Any:
    """A stage's pydantic spec read back from its JSON dump (a spec written by a run validates again);
    a :class:`DataError` names the path of the first wrong key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise DataError(f"{path}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from None
