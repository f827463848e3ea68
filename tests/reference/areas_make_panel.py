"""Write the simulated area panels that tests/reference/areas_plm.R and areas_synthdid.R fit
(run once; outputs committed).

    PYTHONPATH=src python tests/reference/areas_make_panel.py
"""

from pathlib import Path

from evaltool.simulate.areas import simulate_area_panel

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "areas"
OUT = FIX / "sim_staggered_panel.csv"

if __name__ == "__main__":
    df, _ = simulate_area_panel(24, range(2008, 2021), "staggered", -0.03, 20260)
    df.to_csv(OUT, index=False, float_format="%.17g")
    fr, _ = simulate_area_panel(16, range(2008, 2021), "fredericia", -0.03, 2026)
    fr.to_csv(FIX / "sim_fredericia_panel.csv", index=False, float_format="%.17g")
