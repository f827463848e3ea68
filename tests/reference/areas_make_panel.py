"""Write the simulated area panel that tests/reference/areas_plm.R fits (run once; output committed).

    PYTHONPATH=src python tests/reference/areas_make_panel.py
"""

from pathlib import Path

from evaltool.simulate.areas import simulate_area_panel

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "areas" / "sim_staggered_panel.csv"

if __name__ == "__main__":
    df, _ = simulate_area_panel(24, range(2008, 2021), "staggered", -0.03, 20260)
    df.to_csv(OUT, index=False, float_format="%.17g")
