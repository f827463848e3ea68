"""Estimands and identifying assumptions of each area estimator, in Danish and English."""

from __future__ import annotations

__all__ = ["ASSUMPTIONS"]

ASSUMPTIONS: dict[str, dict[str, str]] = {
    "before_after": {
        "en": "Raw change in the treated area from the period before the start to the last period. Not an effect: "
              "it assumes nothing else changed (no trend, no business cycle). Shown beside the comparison areas' "
              "change.",
        "da": "Rå ændring i indsatsområdet fra perioden før start til sidste periode. Ikke en effekt: den forudsætter, "
              "at intet andet ændrede sig (ingen trend, ingen konjunktur). Vises ved siden af sammenligningsområdernes "
              "ændring.",
    },
    "did_2x2": {
        "en": "ATT of the first-starting areas: their before/after change minus that of never-treated areas. Assumes "
              "parallel trends (without the effort, treated and comparison areas would have changed alike) and no "
              "effect on comparison areas.",
        "da": "Effekten i de først startende områder: deres før/efter-ændring minus ændringen i områder uden indsats. "
              "Forudsætter parallelle tendenser (uden indsatsen ville områderne have udviklet sig ens) og ingen "
              "afsmitning på sammenligningsområderne.",
    },
    "twfe": {
        "en": "Two-way fixed effects coefficient: a weighted average of treated area-period effects. Assumes parallel "
              "trends and, under staggered starts, a constant effect: with effects that change over time, already "
              "treated areas serve as controls and some weights can be negative, so TWFE can be biased (even have "
              "the wrong sign). Callaway-Sant'Anna does not have this problem.",
        "da": "Koefficienten i en model med område- og periodeeffekter: et vægtet gennemsnit af effekterne i "
              "behandlede område-perioder. Forudsætter parallelle tendenser og, ved forskudte starttidspunkter, en "
              "konstant effekt: ændrer effekten sig over tid, bruges allerede behandlede områder som kontrol, og "
              "nogle vægte kan blive negative, så TWFE kan være skævt (endda have forkert fortegn). Callaway-"
              "Sant'Anna har ikke dette problem.",
    },
    "event_study": {
        "en": "Effects by time since start relative to the reference period, from a TWFE model with leads and lags. "
              "Leads test parallel pre-trends (no anticipation). Under staggered starts with changing effects the "
              "coefficients mix cohorts (Sun & Abraham 2021); compare with the Callaway-Sant'Anna dynamic effects.",
        "da": "Effekter efter tid siden start i forhold til referenceperioden, fra en TWFE-model med leads og lags. "
              "Leads tester parallelle tendenser før start (ingen foregribelse). Ved forskudt start og skiftende "
              "effekter blandes kohorter (Sun & Abraham 2021); sammenlign med Callaway-Sant'Anna.",
    },
    "callaway_santanna": {
        "en": "Group-time ATT(g,t): effect in period t for areas starting in g, each compared with never-treated "
              "(or not-yet-treated) areas over the same periods, then aggregated. Assumes parallel trends for each "
              "cohort and limited anticipation; robust to effects that vary by cohort and over time.",
        "da": "ATT(g,t): effekten i periode t for områder, der startede i g, hver sammenlignet med områder uden "
              "indsats (eller endnu ikke startede) over de samme perioder og derefter vægtet sammen. Forudsætter "
              "parallelle tendenser for hver kohorte og begrænset foregribelse; robust over for effekter, der "
              "varierer mellem kohorter og over tid.",
    },
    "synthetic_control": {
        "en": "Effect in the treated area(s) after start against a weighted average of comparison areas whose "
              "weights (non-negative, summing to one) reproduce the treated area's pre-start path. Assumes the "
              "synthetic area would have followed the treated area without the effort; check the pre-period fit "
              "(pre RMSPE).",
        "da": "Effekten i indsatsområdet efter start mod et vægtet gennemsnit af sammenligningsområder, hvis vægte "
              "(ikke-negative, sum én) genskaber områdets forløb før start. Forudsætter, at det syntetiske område "
              "ville have fulgt indsatsområdet uden indsatsen; se tilpasningen før start (pre RMSPE).",
    },
    "synthetic_did": {
        "en": "Synthetic difference in differences (Arkhangelsky et al. 2021): area weights making comparison "
              "trends parallel to the treated area's before start, and period weights, then a weighted DiD. "
              "Assumes parallel trends after weighting; SE from placebo re-assignment among comparison areas.",
        "da": "Syntetisk forskel-i-forskelle (Arkhangelsky m.fl. 2021): områdevægte, der gør sammenligningsområdernes "
              "udvikling parallel med indsatsområdets før start, og periodevægte, derefter en vægtet forskel-i-"
              "forskelle. Forudsætter parallelle tendenser efter vægtning; SE fra placebo-tildeling.",
    },
}
