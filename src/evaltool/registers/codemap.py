"""Code maps: register codes -> categories -> groups, read from YAML.

A code map is data, not code: evaltool never hard-wires code numbers. The file
(see ``configs/codes_example.yaml``) lists categories (ASCII identifiers with
Danish and English labels and their codes), groups of categories, and the
pseudo-category for self-support (a week with no row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from evaltool.exceptions import RegisterError

__all__ = ["CodeMap", "load_code_map", "default_code_map_path", "SELF_SUPPORT"]

SELF_SUPPORT = "self_support"
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE_MIN, _CODE_MAX = 0, 32767  # stored as int16


@dataclass(frozen=True)
class CodeMap:
    """A validated code map.

    Attributes
    ----------
    categories : tuple of str
        Category names in file order (``other`` included if listed).
    codes : dict of int -> str
        Register code -> category.
    groups : dict of str -> tuple of str
        Group name -> member categories.
    labels : dict of str -> dict
        ``{"da": ..., "en": ...}`` for every category, group and the self-support pseudo-category.
    self_support : str
        Name of the self-support pseudo-category (``self_support``).
    aliases : tuple of str
        Other accepted spellings of ``self_support`` (e.g. ``selvforsoergelse``).
    source : str
        Where the map was read from (for messages).
    """

    categories: tuple[str, ...]
    codes: dict[int, str]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    self_support: str = SELF_SUPPORT
    aliases: tuple[str, ...] = ()
    source: str = "<code map>"

    def __post_init__(self) -> None:
        for code, cat in self.codes.items():
            if cat not in self.categories:
                raise RegisterError(f"{self.source}: code {code} maps to unknown category {cat!r}")
        for g, members in self.groups.items():
            unknown = [m for m in members if m not in self.categories]
            if unknown:
                raise RegisterError(f"{self.source}: groups.{g}: unknown categories {', '.join(unknown)}; "
                                    f"known: {', '.join(self.categories)}")
            if g in self.categories or g in self._self_names:
                raise RegisterError(f"{self.source}: groups.{g}: a group cannot share a category's name")

    @property
    def _self_names(self) -> tuple[str, ...]:
        return (self.self_support, *self.aliases)

    def codes_for(self, category: str) -> tuple[int, ...]:
        """Codes of one category, primary code first (file order)."""
        if category not in self.categories:
            raise RegisterError(f"{self.source}: unknown category {category!r}; known: {', '.join(self.categories)}")
        return tuple(c for c, cat in self.codes.items() if cat == category)

    def resolve(self, names: tuple[str, ...] | list[str], *, what: str = "categories") -> tuple[frozenset[str], bool]:
        """Expand category and group names into (set of categories, includes self-support).

        Raises
        ------
        RegisterError
            For an unknown name, listing the valid ones.
        """
        cats: set[str] = set()
        self_in = False
        for name in names:
            if name in self._self_names:
                self_in = True
            elif name in self.categories:
                cats.add(name)
            elif name in self.groups:
                cats.update(self.groups[name])
            else:
                valid = [*self.categories, *self.groups, self.self_support]
                raise RegisterError(f"`{what}`: unknown category or group {name!r}; valid: {', '.join(valid)}")
        return frozenset(cats), self_in

    def category_index(self) -> dict[str, int]:
        """Category -> small integer (file order), used to store categories compactly."""
        return {c: i for i, c in enumerate(self.categories)}

    def code_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays (codes, category index) in code order."""
        idx = self.category_index()
        codes = np.array(sorted(self.codes), dtype=np.int64)
        return codes, np.array([idx[self.codes[int(c)]] for c in codes], dtype=np.int16)

    def label(self, name: str, language: str = "en") -> str:
        """Display label of a category, group or ``self_support`` in ``language`` (``da``/``en``)."""
        key = self.self_support if name in self._self_names else name
        return self.labels.get(key, {}).get(language, name)


def default_code_map_path() -> Path:
    """The bundled example code map (package resources, else the source tree's ``configs/``)."""
    from importlib import resources

    try:
        bundled = Path(str(resources.files("evaltool.resources").joinpath("codes_example.yaml")))
        if bundled.is_file():
            return bundled
    except ModuleNotFoundError:  # pragma: no cover - resources package always ships
        pass
    return Path(__file__).resolve().parents[3] / "configs" / "codes_example.yaml"


def _labels(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"da": raw, "en": raw}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise RegisterError(f"{where}: `label` must be a text or a mapping like {{da: ..., en: ...}}; got {raw!r}")
    return {str(k): v for k, v in raw.items()}


def load_code_map(path: str | Path) -> CodeMap:
    """Read and validate a code map YAML file.

    Errors name the file and the key path, e.g.
    ``codes.yaml: categories.kontanthjaelp.codes: code 111 is also listed under dagpenge``.

    Parameters
    ----------
    path : str or Path
        The YAML file (see ``configs/codes_example.yaml``).

    Returns
    -------
    CodeMap
    """
    p = Path(path)
    src = p.name
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RegisterError(f"code map {str(p)!r} not found") from err
    except yaml.YAMLError as err:
        raise RegisterError(f"{src}: not valid YAML: {err}") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), dict) or not raw["categories"]:
        raise RegisterError(f"{src}: expected a mapping with a non-empty `categories:` section")
    unknown_keys = sorted(set(raw) - {"version", "self_support", "categories", "groups"})
    if unknown_keys:
        raise RegisterError(f"{src}: unknown top-level key(s) {', '.join(unknown_keys)}; "
                            "allowed: version, self_support, categories, groups")
    labels: dict[str, dict[str, str]] = {}
    codes: dict[int, str] = {}
    cats: list[str] = []
    for name, body in raw["categories"].items():
        where = f"{src}: categories.{name}"
        if not isinstance(name, str) or not _IDENT.match(name):
            raise RegisterError(f"{where}: category names must be lower-case ASCII identifiers")
        if not isinstance(body, dict) or "codes" not in body:
            raise RegisterError(f"{where}: expected a mapping with `codes:` (and `label:`)")
        extra = sorted(set(body) - {"codes", "label"})
        if extra:
            raise RegisterError(f"{where}: unknown key(s) {', '.join(extra)}; allowed: codes, label")
        values = body["codes"]
        if not isinstance(values, list) or not values:
            raise RegisterError(f"{where}.codes: expected a non-empty list of integer codes; got {values!r}")
        for code in values:
            if isinstance(code, bool) or not isinstance(code, int) or not _CODE_MIN <= code <= _CODE_MAX:
                raise RegisterError(f"{where}.codes: codes must be integers in {_CODE_MIN}-{_CODE_MAX}; got {code!r}")
            if code in codes:
                raise RegisterError(f"{where}.codes: code {code} is also listed under {codes[code]}")
            codes[code] = name
        labels[name] = _labels(body.get("label"), where)
        cats.append(name)
    ss = raw.get("self_support") or {}
    if not isinstance(ss, dict):
        raise RegisterError(f"{src}: self_support: expected a mapping with name, aliases, label")
    ss_name = ss.get("name", SELF_SUPPORT)
    aliases = ss.get("aliases", [])
    if not isinstance(ss_name, str) or not _IDENT.match(ss_name) or ss_name in cats:
        raise RegisterError(f"{src}: self_support.name: must be an ASCII identifier distinct from the categories")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise RegisterError(f"{src}: self_support.aliases: expected a list of names; got {aliases!r}")
    labels[ss_name] = _labels(ss.get("label"), f"{src}: self_support") or {"da": "Selvforsørgelse",
                                                                          "en": "Self-support"}
    groups: dict[str, tuple[str, ...]] = {}
    for g, body in (raw.get("groups") or {}).items():
        where = f"{src}: groups.{g}"
        if not isinstance(g, str) or not _IDENT.match(g):
            raise RegisterError(f"{where}: group names must be lower-case ASCII identifiers")
        members = body.get("categories") if isinstance(body, dict) else body
        if not isinstance(members, list) or not members:
            raise RegisterError(f"{where}.categories: expected a non-empty list of categories")
        unknown = [m for m in members if m not in cats]
        if unknown:
            raise RegisterError(f"{where}.categories: unknown categories {', '.join(map(str, unknown))}; "
                                f"known: {', '.join(cats)}")
        groups[g] = tuple(members)
        if isinstance(body, dict):
            labels[g] = _labels(body.get("label"), where)
    return CodeMap(categories=tuple(cats), codes=codes, groups=groups, labels=labels,
                   self_support=ss_name, aliases=tuple(aliases), source=src)
