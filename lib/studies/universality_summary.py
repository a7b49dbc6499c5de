"""Section V.2 (chapter 06_universality) as one object: the chapter's parameters, validated, and its studies,
with the numbers its prose quotes.

:class:`Universality` holds the parameters cell; each stage is computed on first use through the cached
engines of :mod:`lib.studies.universality`, with the arguments the chapter always passed: Table 1
(:func:`projected_cumulants`), Fig. 7 (``sweeps``: every law and setting (g, f) against the ODE; ``tests``: the
floor tests, judged at the family-wise ``t_fw``, Bonferroni over a setting's law-metric tests), the same
tests under further seeds, at further N and with exact moments (:meth:`Universality.replicate`), Fig. 8
(``sample_sizes``, ``scales``) and the appendix (``moved``). Methods ``*_texts`` and :meth:`texts` return
{glue name: text} for the prose; the tables and figures are in :mod:`lib.studies.universality_figures`.
:func:`chapter_results` computes every cached stage from the parameter dict, without plotting or notebook tools.
"""
from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ..core.model import Model
from ..core.validate import ParameterError, choice
from ..measures import excess
from . import universality as s5
from .mixture_dynamics import ode_movement

PARAMETERS = ("N", "D", "K", "M", "lr", "activations", "folds", "cross", "laws", "heavy_laws", "reference",
              "appendix_laws", "appendix_study", "study", "study_sizes", "runs", "t_max", "points", "level", "far",
              "cumulant_samples", "seed", "replicate_seeds", "replicate_setting", "replicate_laws", "replicate_N")
NOT_RUN = "(not run)"


def setting_name(combo) -> str:
    """Plain text (glued text is not parsed as Markdown, so no math)."""
    return f"g = {combo[0]}, f = {combo[1]}"


def largest(tests: dict, labels) -> tuple:
    """(t, law, metric) of the largest excess over the floor among ``labels`` for every metric of GAPS
    (``tests``: metric -> FloorTest); (-inf, 'none', 'none') without labels."""
    return max(((tests[n].t[x], x, n) for n in s5.GAPS for x in labels), default=(-math.inf, "none", "none"))


class Universality:
    """The chapter's parameters (names of its parameters cell, :data:`PARAMETERS`) and its studies."""

    def __init__(self, **params):
        missing = sorted(set(PARAMETERS) - set(params))
        if missing or set(params) - set(PARAMETERS):
            raise ParameterError(f"Universality takes exactly the parameters {PARAMETERS}; missing {missing}, "
                                 f"unknown {sorted(set(params) - set(PARAMETERS))}")
        self.__dict__.update(params)
        self.table_laws, self.extra_laws = s5.make_laws(self.laws), s5.make_laws(self.heavy_laws)
        self.all_laws = self.table_laws + self.extra_laws
        self.by_label = {law.label: law for law in self.all_laws}
        if len(self.by_label) != len(self.all_laws):
            raise ParameterError("labels of laws and heavy_laws must be distinct")
        choice("reference", self.reference, [law.label for law in self.table_laws])
        for label in self.study:
            choice("study", label, list(self.by_label))
        self.moments = {law.label: s5.law_moments(law.dist, seed=self.seed, **law.kwargs) for law in self.all_laws}
        self.combos = s5.settings(self.activations, self.folds, self.cross)  # (g, f) pairs, the main text's first
        self.main = self.combos[0]
        for label in self.appendix_laws:
            choice("appendix_laws", label, list(self.by_label))
        if self.reference not in self.appendix_laws:
            raise ParameterError(f"appendix_laws={self.appendix_laws!r} must include the reference {self.reference!r}")
        self.laws_of = {combo: self.all_laws if combo == self.main else
                        [law for law in self.all_laws if law.label in self.appendix_laws] for combo in self.combos}
        self.models = {(g, f): Model(N=self.N, D=self.D, K=self.K, M=self.M, lr=self.lr, f=f, g=g)
                       for g, f in self.combos}
        self.rep_combo = tuple(self.replicate_setting)
        if self.replicate_seeds and self.rep_combo not in self.models:
            raise ParameterError(f"replicate_setting={self.replicate_setting!r} must be one of the settings "
                                 f"{self.combos}")
        for label in self.replicate_laws:
            choice("replicate_laws", label, [x for x in self.appendix_laws if self.moments[x].finite_variance])
        if self.replicate_seeds and self.reference not in self.replicate_laws:
            raise ParameterError(f"replicate_laws={self.replicate_laws!r} must include the reference "
                                 f"{self.reference!r}")
        for n in self.replicate_N:
            if not isinstance(n, int) or n < 2 or round(n * self.D / self.N) < 1:
                raise ParameterError(f"replicate_N={self.replicate_N!r}: every entry must be an integer N >= 2 "
                                     f"with D = N D/N >= 1")
        self.rep_tested = [x for x in self.replicate_laws if x != self.reference]
        self.rep_pool = [x for x in self.rep_tested if self.moments[x].finite_kurtosis]
        if any(not isinstance(k, int) or k < 1 for k in self.replicate_seeds) or \
                len(set(self.replicate_seeds)) != len(self.replicate_seeds):
            raise ParameterError(f"replicate_seeds={self.replicate_seeds!r} must be distinct integers >= 1 (offsets "
                                 f"from seed)")
        # further seeds as offsets from the chapter's seed, so that another seed repeats the whole study
        self.rep_seeds = ([self.seed] + [self.seed + k for k in self.replicate_seeds]) if self.replicate_seeds else []
        self.lorentz = [label for label in self.study if not self.moments[label].finite_variance]
        self.heavy = [label for label in self.study
                      if self.moments[label].finite_variance and not self.moments[label].finite_kurtosis]
        self._replicates = {}

    # ---------------------------------------------------------------------------------------- Table 1

    @cached_property
    def proj(self) -> dict:
        """label -> :func:`projected_cumulants` of the law in dimension D."""
        return {law.label: s5.projected_cumulants(law, self.D, samples=self.cumulant_samples, seed=self.seed)
                for law in self.all_laws}

    def table1_texts(self) -> dict:
        p = self.proj[self.reference]
        no_var = [law.label for law in self.all_laws if not self.moments[law.label].finite_variance]
        return {"D": f"{self.D}", "se_kurt_u": f"{p['se_exkurt'] / math.sqrt(len(p['exkurt'])):.3f}",
                "lorentz_kurt_u": f"{np.mean(self.proj[no_var[0]]['exkurt']):.0f}" if no_var else "n/a"}

    # ---------------------------------------------------------------------------------- Fig. 7: floors

    @cached_property
    def sweeps(self) -> dict:
        """setting -> label -> Outcome: every law of the setting against the ODE (one cached batch each)."""
        return {combo: s5.sweep(self.models[combo], self.laws_of[combo], runs=self.runs, t_max=self.t_max,
                                points=self.points, seed=self.seed) for combo in self.combos}

    @cached_property
    def finite_table(self) -> list:
        """Laws of Table 1 with a variance (the laws Fig. 7 plots)."""
        return [law.label for law in self.table_laws if self.moments[law.label].finite_variance]

    @cached_property
    def finite_of(self) -> dict:
        return {combo: [x for x in self.finite_table if x in self.sweeps[combo]] for combo in self.combos}

    @cached_property
    def tests(self) -> dict:
        """setting -> metric -> FloorTest, the scatter pooled over the reference and the laws with a fourth
        moment."""
        pools = {combo: [x for x in self.sweeps[combo] if self.moments[x].finite_kurtosis and x != self.reference]
                 for combo in self.combos}
        return {combo: {name: s5.floor_test(self.sweeps[combo], self.reference, pools[combo], name, level=self.level)
                        for name in s5.GAPS} for combo in self.combos}

    def t_family(self, n_tests: int, dof: int) -> float:
        """Family-wise critical t at ``level`` over ``n_tests`` tests (at least one)."""
        return excess.family_t(self.level, max(n_tests, 1), dof)

    @cached_property
    def n_tests(self) -> dict:
        return {combo: len(s5.GAPS) * len([x for x in self.finite_of[combo] if x != self.reference])
                for combo in self.combos}

    @cached_property
    def t_fw(self) -> dict:
        return {combo: self.t_family(self.n_tests[combo], self.tests[combo]["Q"].dof) for combo in self.combos}

    def worst(self, combo) -> tuple:
        """(t, law, metric) of the largest excess among the setting's finite-variance laws but the reference."""
        return largest(self.tests[combo], [x for x in self.finite_of[combo] if x != self.reference])

    def fig7_texts(self) -> dict:
        ft, finite = self.tests[self.main], self.finite_table
        worst = max((ft[n].t[x], x, n) for n in s5.GAPS for x in finite if x != self.reference)
        kurt_value, kurt_law = max((self.moments[x].exkurt, x) for x in finite)
        return {"g_main": self.main[0], "f_main": self.main[1], "runs": f"{self.runs}", "t_max": f"{self.t_max:g}",
                "worst_t": f"{worst[0]:.1f}", "worst_law": worst[1], "worst_metric": worst[2],
                "t_crit": f"{ft['Q'].t_crit:.2f}", "t_fw": f"{self.t_fw[self.main]:.2f}",
                "n_tests": str(self.n_tests[self.main]), "floor_Q": f"{ft['Q'].floor:.4f}", "kurt_law": kurt_law,
                "kurt_value": f"{kurt_value:.1f}",
                "ratio_max": f"{max(ft[n].ratio(x) for n in s5.GAPS for x in finite):.2f}"}

    @cached_property
    def finite_labels(self) -> list:
        """Every law with a variance, the heavy laws included (the laws of the t figure)."""
        return [label for label in self.by_label if self.moments[label].finite_variance]

    # ------------------------------------------------------------------------ other seeds and sizes

    def replicate(self, sd: int, n: int | None = None, exact: bool = False) -> dict:
        """The replicate laws in the setting rep_combo with seed ``sd`` and N = ``n`` (default the main N; D in
        proportion): metric -> FloorTest. ``exact``: standardise with the laws' exact mean and variance
        instead of sample estimates (same draws). The main seed at the main N reuses the main runs."""
        n = self.N if n is None else n
        if (sd, n, exact) not in self._replicates:
            model = Model(N=n, D=round(n * self.D / self.N), K=self.K, M=self.M, lr=self.lr, g=self.rep_combo[0],
                          f=self.rep_combo[1])
            kw = dict(runs=self.runs, t_max=self.t_max, points=self.points, seed=sd)
            if exact:
                cs = tuple(s5.comparison(model, self.by_label[x], **kw, standardize_samples=None)
                           for x in self.replicate_laws)
                outs = dict(zip(self.replicate_laws, s5.guarded_batch(cs)))
            elif sd == self.seed and n == self.N:
                outs = {x: self.sweeps[self.rep_combo][x] for x in self.replicate_laws}
            else:
                outs = s5.sweep(model, [self.by_label[x] for x in self.replicate_laws], **kw)
            self._replicates[sd, n, exact] = {name: s5.floor_test(outs, self.reference, self.rep_pool, name,
                                                                  level=self.level) for name in s5.GAPS}
        return self._replicates[sd, n, exact]

    @cached_property
    def seed_study(self) -> dict:
        """seed -> law -> (largest ratio to the floor, (largest t, its metric)) at the main N, for every
        replicate seed (the main one first); empty without replicate seeds."""
        return {sd: {x: (max(fts[n].ratio(x) for n in s5.GAPS), max((fts[n].t[x], n) for n in s5.GAPS))
                     for x in self.rep_tested} for sd in self.rep_seeds for fts in [self.replicate(sd)]}

    @cached_property
    def rep_fw(self) -> float | None:
        """Family-wise critical t of one seed's tests (None without replicate seeds)."""
        if not self.rep_seeds:
            return None
        return self.t_family(len(s5.GAPS) * len(self.rep_tested), self.replicate(self.rep_seeds[-1])["Q"].dof)

    @cached_property
    def rep_fail(self) -> list:
        """(seed, law) pairs at or above the family-wise critical value."""
        return [(sd, x) for sd, row in self.seed_study.items() for x, (_, (t, _n)) in row.items() if t >= self.rep_fw]

    def seed_texts(self) -> dict:
        keys = ("rep_setting", "rep_seeds", "rep_fail_text", "rep_above", "rep_geo")
        if not self.seed_study:
            return dict.fromkeys(keys, NOT_RUN)
        ratios = [self.replicate(sd)[n].ratio(x) for sd in self.seed_study for n in s5.GAPS for x in self.rep_tested]
        fail = self.rep_fail
        return dict(zip(keys, (setting_name(self.rep_combo), str(len(self.seed_study)),
                               "no law exceeds it under any seed" if not fail else
                               "it is exceeded by " + "; ".join(f"{x} under seed {sd}" for sd, x in fail),
                               f"{np.mean(np.array(ratios) > 1):.0%}", f"{np.exp(np.mean(np.log(ratios))):.2f}")))

    @cached_property
    def size_study(self) -> dict:
        """(N, seed) -> floor tests of the replicate laws, for every N of replicate_N and every seed."""
        return {(n, sd): self.replicate(sd, n) for n in (self.replicate_N if self.rep_seeds else [])
                for sd in self.rep_seeds}

    @cached_property
    def size_points(self) -> list:
        """[(N, law, geometric mean ratio over metrics)] for every (N, seed) and replicate law."""
        return [(n, x, float(np.exp(v.mean()))) for (n, _), fts in self.size_study.items()
                for x, v in excess.log_ratios(fts, self.rep_tested).items()]

    @cached_property
    def fit(self) -> excess.SizeTrend | None:
        """The trend of the mean log-ratio with N (None with fewer than two sizes or no replicate seeds)."""
        if len(set(self.replicate_N)) <= 1 or not self.replicate_seeds:
            return None
        return excess.size_trend({key: excess.mean_log_ratio(fts, self.rep_tested)
                                  for key, fts in self.size_study.items()})

    def size_texts(self) -> dict:
        keys = ("size_Ns", "size_geo_first", "size_geo_last", "size_slope", "size_verdict", "size_pred_last",
                "size_pred_slope", "size_pred_z")
        fit = self.fit
        if fit is None:
            return dict.fromkeys(keys, NOT_RUN)
        if fit.slope < -2 * fit.slope_se:
            verdict = "the excess shrinks as the network grows, as a finite-size residue should"
        elif fit.slope > 2 * fit.slope_se:
            verdict = "the excess grows with the network, which a finite-size residue cannot explain"
        else:
            verdict = "no trend with the size of the network is resolved by these seeds"
        Ns = fit.Ns
        return dict(zip(keys, (", ".join(map(str, Ns)), f"{fit.geo[Ns[0]]:.2f}", f"{fit.geo[Ns[-1]]:.2f}",
                               f"{fit.slope:.3f} ± {fit.slope_se:.3f}", verdict, f"{fit.predicted(Ns[-1]):.2f}",
                               f"{fit.pred_slope:.3f}", f"{(fit.slope - fit.pred_slope) / fit.slope_se:.1f}")))

    @cached_property
    def exact_study(self) -> dict:
        """seed -> (mean log-ratio with sample moments, with exact moments, largest t with exact moments)."""
        rows = {}
        for sd in self.rep_seeds:
            fts_x = self.replicate(sd, exact=True)
            rows[sd] = (excess.mean_log_ratio(self.replicate(sd), self.rep_tested),
                        excess.mean_log_ratio(fts_x, self.rep_tested), excess.largest_t(fts_x, self.rep_tested))
        return rows

    def exact_texts(self) -> dict:
        keys = ("exact_geo_s", "exact_geo_x", "exact_worst", "exact_verdict")
        rows = self.exact_study
        if not rows:
            return dict.fromkeys(keys, NOT_RUN)
        geo_s = float(np.exp(np.mean([r[0] for r in rows.values()])))
        geo_x = float(np.exp(np.mean([r[1] for r in rows.values()])))
        t_x = max(r[2] for r in rows.values())
        return dict(zip(keys, (f"{geo_s:.2f}", f"{geo_x:.2f}", f"{t_x[0]:.1f} ({t_x[1]}, {t_x[2]})",
                               "most of the excess is the error of the sample standardisation"
                               if geo_x - 1 < (geo_s - 1) / 2 else "most of the excess remains: it belongs to the "
                               "laws, not to the sample standardisation")))

    # ------------------------------------------------------------------- Fig. 8: the sample-size study

    @cached_property
    def studied(self) -> list:
        """Settings with the sample-size study: the main one, and every one with ``appendix_study``."""
        return [combo for combo in self.combos if combo == self.main or self.appendix_study]

    @cached_property
    def sample_sizes(self) -> tuple[dict, dict]:
        """(studies, exact): setting -> law of ``study`` -> [Outcome per sample size of ``study_sizes``], and
        setting -> law with a variance -> Outcome standardised with the exact moments. One batch per setting and
        law: every sample size, and exact moments where they exist."""
        studies, exact = {}, {}
        for combo in self.studied:
            studies[combo], exact[combo] = {}, {}
            for label in self.study:
                has_exact = self.moments[label].finite_variance
                outs = s5.sample_size_study(self.models[combo], self.by_label[label],
                                            list(self.study_sizes) + [None] * has_exact, runs=self.runs,
                                            t_max=self.t_max, points=self.points, seed=self.seed)
                studies[combo][label] = outs[:len(self.study_sizes)]
                if has_exact:
                    exact[combo][label] = outs[-1]
        return studies, exact

    @property
    def studies(self) -> dict:
        return self.sample_sizes[0]

    @property
    def exact(self) -> dict:
        return self.sample_sizes[1]

    @cached_property
    def scales(self) -> dict:
        """law of ``study`` -> :func:`standardization_scale` at every sample size."""
        return {label: s5.standardization_scale(self.by_label[label], self.D, self.study_sizes, seed=self.seed)
                for label in self.study}

    def run_excess(self, o: s5.Outcome, combo) -> np.ndarray:
        """Per run: largest excess over the floor among Q, R, v, eg, in single-run margins (inf if diverged)."""
        return np.max([s5.excess_in_margins(o, self.tests[combo][n], self.runs) for n in s5.GAPS], axis=0)

    def run_ratio(self, o: s5.Outcome, combo) -> np.ndarray:
        """Per run: largest tLog-RMSE / floor among Q, R, v, eg (inf if diverged)."""
        return np.max([o.tlog[n] / self.tests[combo][n].floor for n in s5.GAPS], axis=0)

    @cached_property
    def lor_excess(self) -> dict:
        """(setting, law without variance) -> (excess per run, [excess per run for each n of the study])."""
        out = {}
        for combo in self.combos:
            for label in [x for x in self.sweeps[combo] if not self.moments[x].finite_variance]:
                per_n = [self.run_excess(o, combo) for o in self.studies[combo][label]] \
                    if label in self.studies.get(combo, {}) else []
                out[(combo, label)] = (self.run_excess(self.sweeps[combo][label], combo), per_n)
        return out

    @cached_property
    def slope(self) -> float:
        """Log-log slope of the first law without variance's median sample sd against n (nan if none)."""
        if not self.lorentz:
            return math.nan
        s = self.scales[self.lorentz[0]]
        return float(np.polyfit(np.log(s["n"]), np.log(s["median"]), 1)[0])

    def lorentz_texts(self) -> dict:
        if not self.lorentz:
            return {}
        main_run, per_n = self.lor_excess[(self.main, self.lorentz[0])]
        return {"lor_min_excess": f"{min(float(np.min(main_run)), min(float(np.min(p)) for p in per_n)):.0f}",
                "lor_diverged": ", ".join(f"{int(o.diverged)}" for o in self.studies[self.main][self.lorentz[0]]),
                "lor_sizes": ", ".join(f"{n:g}" for n in self.study_sizes), "lor_scale_slope": f"{self.slope:.2f}"}

    @cached_property
    def heavy_stats(self) -> dict:
        """(setting, heavy law with a variance) -> metric -> (ratio to the floor, t)."""
        return {(combo, x.label): {n: (self.tests[combo][n].ratio(x.label), self.tests[combo][n].t[x.label])
                                   for n in s5.GAPS}
                for combo in self.combos for x in self.extra_laws
                if self.moments[x.label].finite_variance and x.label in self.sweeps[combo]}

    def heavy_texts(self) -> dict:
        if not self.heavy:
            return {}
        h, main = self.heavy[0], self.main
        ratios_n = [float(np.median(self.run_ratio(o, main))) for o in self.studies[main][h]]
        best = int(np.argmin(ratios_n))
        r_gap = self.exact[main][h].result
        stats = self.heavy_stats[(main, h)].values()
        return {"heavy_ratio_sweep": f"{max(r for r, _ in stats):.1f}",
                "heavy_t_sweep": f"{max(t for _, t in stats):.1f}",
                "heavy_n_small": f"{self.study_sizes[0]:g}", "heavy_ratio_small": f"{ratios_n[0]:.1f}",
                "heavy_n_best": f"{self.study_sizes[best]:g}", "heavy_ratio_best": f"{ratios_n[best]:.1f}",
                "heavy_ratio_exact": f"{float(np.median(self.run_ratio(self.exact[main][h], main))):.1f}",
                "heavy_samples_run": f"{self.N * self.t_max:g}",
                "heavy_var_small": f"{self.scales[h]['exact'] ** 2 / self.scales[h]['median'][0] ** 2:.2f}",
                "heavy_dR": f"{float((r_gap.sgd.R - r_gap.ode.R).mean(axis=0)[-1].mean()):+.3f}",
                "heavy_deg": f"{float((r_gap.sgd.eg - r_gap.ode.eg).mean(axis=0)[-1]):+.3f}"}

    # ------------------------------------------------------------------------------------- appendix

    @cached_property
    def moved(self) -> dict:
        """setting -> (least ODE movement of Q, R, v in floors, eg of the ODE at t = 0, at t_max)."""
        out = {}
        for combo in self.combos:
            res_ref = self.sweeps[combo][self.reference].result
            ratio_move = min(ode_movement(res_ref, n) / self.tests[combo][n].floor for n in s5.METRICS)
            out[combo] = (ratio_move, res_ref.ode.eg[0, 0], res_ref.ode.eg[0, -1])
        return out

    def appendix_texts(self) -> dict:
        extra, main, moved, tests, t_fw = self.combos[1:], self.main, self.moved, self.tests, self.t_fw
        worst = {c: largest(tests[c], [x for x in self.finite_of[c] if x != self.reference]) for c in extra}
        ratio = {c: max((tests[c][n].ratio(x) for n in s5.GAPS for x in self.finite_of[c] if x != self.reference),
                        default=math.nan) for c in extra}
        return {
            "app_settings": "; ".join(setting_name(c) for c in extra) or "(none under these parameters)",
            "app_laws_text": ", ".join(self.appendix_laws),
            "app_study_text": "is repeated in each of them" if self.appendix_study else "is not repeated there",
            "app_dof": "; ".join(f"{setting_name(c)}: {tests[c]['Q'].dof} degrees of freedom, family-wise critical "
                                 f"value {t_fw[c]:.2f} over {self.n_tests[c]} tests" for c in extra)
            + f"; main text: {tests[main]['Q'].dof} and {t_fw[main]:.2f}",
            "app_moved_text": "; ".join(f"with {setting_name(c)} the ODE's error goes from {moved[c][1]:.3f} to "
                                        f"{moved[c][2]:.3f} and the order parameters move at least {moved[c][0]:.0f} "
                                        f"floors" for c in extra)
            + f" (main text, {setting_name(main)}: from {moved[main][1]:.3f} to {moved[main][2]:.3f}, "
              f"{moved[main][0]:.0f} floors)",
            "app_worst_text": "; ".join(f"{setting_name(c)}: largest t = {worst[c][0]:.1f} ({worst[c][1]}, "
                                        f"{worst[c][2]}) against the family-wise critical {t_fw[c]:.2f}, largest "
                                        f"ratio to the floor {ratio[c]:.2f}" for c in extra) or "(none)",
            "app_lorentz_text": "; ".join(f"{setting_name(c)}: {self.sweeps[c][lab].diverged} of {self.runs} runs "
                                          f"diverged, the surviving runs at least "
                                          f"{float(np.min(self.lor_excess[(c, lab)][0])):.0f} single-run margins "
                                          f"above the floor" for c in extra for lab in self.sweeps[c]
                                          if (c, lab) in self.lor_excess) or "(not run)"}

    def texts(self) -> dict:
        """Every {glue name: text} that the prose quotes (the stages not run give their placeholders)."""
        return {**self.table1_texts(), **self.fig7_texts(), **self.seed_texts(), **self.size_texts(),
                **self.exact_texts(), **self.lorentz_texts(), **self.heavy_texts(), **self.appendix_texts()}

    # ---------------------------------------------------------------------------- for the claim checks

    def weakest_non_gaussian(self) -> tuple:
        """(max(|skewness|, |excess kurtosis|), law) of the most nearly Gaussian law of Table 1 but the
        reference (a law without these moments counts as infinitely far from Gaussian)."""
        shape = {x: max(abs(self.moments[x].skew), abs(self.moments[x].exkurt)) for x in self.by_label}
        return min((shape[x] if not math.isnan(shape[x]) else math.inf, x)
                   for law in self.table_laws if (x := law.label) != self.reference)

    def table1_shapes(self) -> tuple[dict, dict]:
        """({law: max(|skewness|, |excess kurtosis|)} for the laws of Table 1 but the reference whose parameters
        fix their shape (inf without those moments), the same for the laws whose shape is drawn with the seed:
        the mixtures, whose component means and weights are random)."""
        fixed, drawn = {}, {}
        for law in self.table_laws:
            if law.label == self.reference:
                continue
            mo = self.moments[law.label]
            shape = max(abs(mo.skew), abs(mo.exkurt))
            (drawn if law.dist == "gmm" else fixed)[law.label] = math.inf if math.isnan(shape) else shape
        return fixed, drawn

    def rep_worst(self) -> float:
        """Largest t of the seed study over seeds and laws."""
        return max(t for row in self.seed_study.values() for _, (t, _n) in row.values())


def chapter_results(params: dict) -> None:
    """The chapter's expensive part from its parameter dict (``lib paper --results-only``): every cached call that
    notebooks/06_universality.py makes, stage by stage (the engine batches of :func:`lib.studies.universality.
    guarded_batch` and the :func:`lib.studies.universality.standardization_scale` of the sample-size study). Table 1's
    :func:`lib.studies.universality.projected_cumulants` is not cached and is left to the chapter."""
    u = Universality(**{name: params[name] for name in PARAMETERS})
    u.sweeps                  # Fig. 7: every law in every setting
    u.seed_study              # the same with further seeds (the main seed reuses the sweeps)
    u.size_study              # ... and at further N
    u.exact_study             # ... standardised with the exact moments
    u.sample_sizes            # Fig. 8: the sample-size study, one batch per setting and law
    u.scales                  # the standardising scale at every sample size
