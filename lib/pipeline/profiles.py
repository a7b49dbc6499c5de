"""Named parameter profiles.

A profile is only a set of parameter values; no code path differs. ``quick`` is each
notebook's own defaults (its ``parameters`` cell), sized to run the whole book on 2 CPU
cores in minutes. ``paper`` sets the paper's scale. Keys are notebook stems.
"""
from __future__ import annotations

from ..core import validate

PROFILES: dict[str, dict[str, dict]] = {
    "quick": {},
    "paper": {
        "02_hidden_manifold": {"N_values": [250, 500, 1000, 2000, 4000], "samples": 200_000, "repeats": 10},
        "02b_ode": {"N_values": [125, 250, 500, 1000, 2000, 4000], "runs": 10, "t_max": 100.0, "conv_runs": 10,
                    "conv_t_max": 100.0},
        "03_gaussian_mixtures": {"ms": [1, 2, 3, 4, 5], "alphas": list(range(10)), "n_mixtures": 20,
                                 "knn_samples": 10_000},
        "04_mixture_dynamics": {"activations": ["relu", "erf"], "ms": [2, 3, 4, 5], "alphas": list(range(10)),
                                "appendix_ms": [2, 3, 4, 5], "appendix_alphas": list(range(10)),
                                "shared_alphas": list(range(1, 10)), "n_mixtures": 10, "runs": 10,
                                "t_max": 100.0},
        "04b_small_spreads": {"ms": [2, 3, 4, 5], "n_mixtures": 10, "runs": 10, "t_max": 100.0},
        "06_universality": {"activations": ["relu", "erf"], "folds": ["sgn", "tanh"], "cross": True, "runs": 10,
                            "t_max": 100.0, "appendix_study": True,
                            "appendix_laws": ["Gaussian", "uniform", "beta (arcsine)", "beta (skewed)", "Poisson",
                                              "Laplace", "Pareto", "Gaussian mixture", "Lorentz", "Pareto, shape 2.5"],
                            "study_sizes": [100, 1000, 10_000, 100_000, 1_000_000], "cumulant_samples": 100_000,
                            "replicate_N": [500, 1000, 2000]},
        "08_forensics": {"activations": ["relu", "erf"], "floor_seeds": list(range(10)), "floor_runs": 10,
                         "floor_t_max": 100.0, "floor_stored": True, "ode_bins": [5, 20, 50, 100, 250, 500],
                         "ode_seeds": list(range(10)), "lrs": [0.1, 0.5], "lr_runs": 10, "lr_t_max": 100.0,
                         "spike_alphas": list(range(1, 10)), "spike_m": 2, "spike_runs": 10, "spike_t_max": 100.0,
                         "field_laws": ["Gaussian", "uniform", "beta (arcsine)", "beta (skewed)", "Poisson", "Laplace",
                                        "Pareto", "mixture, per coordinate", "mixture, one label", "Lorentz"],
                         "field_Ns": [125, 250, 500, 1000, 2000], "field_samples": 1_000_000},
        "09_beyond": {"scaling_Ns": [250, 500, 1000, 2000, 4000], "runs": 10, "t_max": 100.0, "points": 40,
                      "map_N": 1000, "map_skews": [0.0, 1.0, 2.0, 3.0], "map_exkurts": [-1.0, 0.0, 3.0, 8.0, 15.0],
                      "student_nus": [2.2, 2.5, 3.0, 3.5, 4.0, 5.0], "probe_Ns": [500, 1000, 2000, 4000],
                      "fold_Ns": [500, 1000, 2000, 4000], "fold_runs": 10},
        "07_pseudo_real": {"P": 10_000, "D": 500, "iterations": 300, "teacher_iterations": 300, "runs": 10,
                           "t_max": 100.0, "points": 40, "appendix_teachers": 4, "test_samples": 2000,
                           "field_samples": 100_000},
    },
}


def profile_parameters(profile: str, notebook: str) -> dict:
    """Parameters that ``profile`` sets for ``notebook`` (a stem such as '02_hidden_manifold')."""
    validate.choice("profile", profile, PROFILES)
    return dict(PROFILES[profile].get(notebook, {}))
