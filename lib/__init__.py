"""Gaussian universality in the hidden manifold model: the library behind the book.

The public entry points (names fixed by the design card) are re-exported here. Chapter-specific
studies live in their own modules (lib.measures.equivalence, lib.measures.compare, lib.studies.ode_vs_sgd, lib.studies.mixture_dynamics,
lib.studies.universality, lib.studies.pseudo_real) and are imported from there.
"""
from .core.cache import cached
from .pipeline.claims import PAPER_CLAIMS, PAPER_TABLES, Claim, Registry, collect
from .core.device import default_device
from .core.functions import ACTIVATIONS, FOLD_CLOSED_FORMS, FOLDS, activation, fold, fold_constants, fold_numpy
from .core.inputs import DISTRIBUTIONS, InputDistribution, make_distribution, sample_inputs
from .core.integrals import I2, I3, I4, check_covariance, eg_analytic
from .measures.kl import kl_exact, kl_gaussians, kl_knn, kl_monte_carlo
from .measures.lemmas import lemma_ii1, lemma_v1, lemma_v3, projected_expectation, sample_means
from .measures.metrics import tlog_rmse, tlog_rmse_mean
from .core.mnist import MNIST, MNISTFileError, load_mnist
from .core.model import Model, Weights, init_weights
from .core.ode import ODEState, integrate_ode
from .core.order_params import order_parameters
from .core.pseudo_real import (FoldMoments, KDESampler, PseudoRealFit, PseudoRealParams, PseudoTeacher, TeacherParams,
                          TeacherStudy, corrected_constants, fit_kde, fit_pseudo_real, fold_moments, kde_bandwidth,
                          pseudo_real_model, pseudo_real_weights, pseudo_teacher_study, train_pseudo_teacher)
from .core.sgd import run_generator, sgd_steps, simulate_sgd, simulate_sgd_cached
from .core.trajectory import Trajectory, record_steps
from .core.validate import ParameterError

__version__ = "0.1.0"
