"""The weekly status panel as a deterministic function of the person-level draws.

Weeks -156..156 relative to start are laid out as an (persons x 313) matrix of codes
(0 = no row = self-supported), filled spell by spell; later spells override earlier ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltool.exceptions import RegisterError
from evaltool.registers.codemap import CodeMap
from evaltool.simulate.population import BENEFIT
from evaltool.weeks import from_ordinal

__all__ = ["WORLDS", "CodeTable", "build_block", "REL_WEEKS"]

WORLDS = ("observed", "control", "treated")
REL_WEEKS = np.arange(-156, 157, dtype=np.int64)
_NEEDED = (*BENEFIT, "su_uddannelse", "virksomhedspraktik", "loentilskud", "ressourceforloeb_jobafklaring")


class CodeTable:
    """Codes per category used by the simulator (primary code first, as in the code map file)."""

    def __init__(self, code_map: CodeMap) -> None:
        missing = [c for c in _NEEDED if c not in code_map.categories]
        if missing:
            raise RegisterError(f"{code_map.source}: the simulator needs categories {', '.join(missing)}")
        self.names = list(_NEEDED)
        per = [code_map.codes_for(c) for c in self.names]
        width = max(len(p) for p in per)
        self.table = np.zeros((len(per), width), dtype=np.int16)
        for i, p in enumerate(per):
            self.table[i, : len(p)] = p
        self.lens = np.array([len(p) for p in per], dtype=np.int64)
        self.idx = {c: i for i, c in enumerate(self.names)}

    def pick(self, cat: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Primary code with probability 0.85, else one of the others (uniform)."""
        cat = np.broadcast_to(np.asarray(cat, dtype=np.int64), u.shape)
        k = self.lens[cat]
        other = 1 + np.floor((u - 0.85) / 0.15 * np.maximum(k - 1, 1)).astype(np.int64)
        j = np.where((u < 0.85) | (k == 1), 0, np.minimum(other, k - 1))
        return self.table[cat, j]


def _span(r: np.ndarray, lo: np.ndarray, length: np.ndarray) -> np.ndarray:
    """(m, 313) mask of weeks lo .. lo+length-1 (per person)."""
    return (r >= lo[:, None]) & (r < (lo + length)[:, None])


def build_block(lat: dict[str, np.ndarray], ids: np.ndarray, sl: slice, codes: CodeTable,
                world: str = "observed") -> pd.DataFrame:
    """Panel rows (person_id, week, code) of persons ``sl``, sorted by person and week."""
    g = {k: v[sl] for k, v in lat.items()}
    m = len(g["k1"])
    r = REL_WEEKS[None, :]
    u = g["code_u"]
    ben_cat = g["benefit"]
    ben = codes.pick(ben_cat, u[:, 0])
    out = np.zeros((m, REL_WEEKS.size), dtype=np.int16)

    def put(mask: np.ndarray, code: np.ndarray) -> None:
        np.copyto(out, np.broadcast_to(code[:, None], out.shape), where=mask)

    # before start: education (SU), an earlier support spell, the final spell ending at start (week 0)
    put(_span(r, np.full(m, -156), g["ks"]), codes.pick(codes.idx["su_uddannelse"], u[:, 2]))
    earlier_cat = np.choose(g["earlier_cat"], [ben_cat, np.full(m, codes.idx["dagpenge"]),
                                              np.full(m, codes.idx["sygedagpenge"])])
    put(_span(r, g["e_start"], g["k2"]), codes.pick(earlier_cat, u[:, 1]))
    put(_span(r, -g["k1"], g["k1"] + 1), ben)
    pp_cat = np.where(g["pp_type"] == 1, codes.idx["loentilskud"], codes.idx["virksomhedspraktik"])
    put(_span(r, g["pp_start"], g["pp_len"]), codes.pick(pp_cat, u[:, 3]))
    # after start: which placement happens and when the job comes depend on the world
    treated = {"observed": g["treated"] == 1, "control": np.zeros(m, bool), "treated": np.ones(m, bool)}[world]
    use_extra = treated & g["extra"]
    has_plc = g["p_ctrl"] | use_extra
    s = np.where(use_extra, g["s1"], g["s0"])
    ln = np.where(has_plc, np.where(use_extra, g["l1"], g["l0"]), 0)
    e = np.where(use_extra, g["e_extra"], g["e_ctrl"])
    plc_type = np.where(use_extra, g["type1"], g["type0"])
    on_benefit = (r >= 1) & (r < e[:, None])
    post_ben = np.where((ben_cat == codes.idx["dagpenge"])[:, None] & (r > 104),
                        codes.pick(codes.idx["kontanthjaelp"], u[:, 8])[:, None], ben[:, None])
    np.copyto(out, post_ben, where=on_benefit)
    rf = (g["has_rf"] & (e > 104))[:, None] & (r >= g["rf_start"][:, None]) & on_benefit
    put(rf, codes.pick(codes.idx["ressourceforloeb_jobafklaring"], u[:, 7]))
    sick = g["has_sick"][:, None] & _span(r, g["sick_start"], g["sick_len"]) & on_benefit & ~rf
    put(sick, codes.pick(codes.idx["sygedagpenge"], u[:, 6]))
    plc_cat = np.where(plc_type == 1, codes.idx["loentilskud"], codes.idx["virksomhedspraktik"])
    put(_span(r, s, ln), codes.pick(plc_cat, np.where(use_extra, u[:, 5], u[:, 4])))
    back = g["has_return"][:, None] & _span(r, g["ret_start"], g["ret_len"]) & (r >= e[:, None])
    np.copyto(out, post_ben, where=back)
    row, col = np.nonzero(out)
    weeks = from_ordinal(g["start_ord"][row] + REL_WEEKS[col]).astype(np.int32)
    return pd.DataFrame({"person_id": ids[sl][row], "week": weeks, "code": out[row, col]})
