"""Gaussian universality in the hidden manifold model: the library behind the book.

The public entry points (names fixed by the design card) are re-exported here. Chapter-specific
studies live in their own modules (lib.equivalence, lib.compare, lib.ode_study, lib.section4,
lib.section5, lib.section_mnist) and are imported from there.
"""
from .cache import cached, code_hash
from .claims import PAPER_CLAIMS, PAPER_TABLES, Claim, Registry, collect
from .device import default_device
from .functions import ACTIVATIONS, FOLD_CLOSED_FORMS, FOLDS, activation, fold, fold_constants, fold_numpy
from .inputs import DISTRIBUTIONS, InputDistribution, make_distribution, sample_inputs
from .integrals import I2, I3, I4, check_covariance, eg_analytic
from .kl import kl_exact, kl_gaussians, kl_knn, kl_monte_carlo
from .lemmas import lemma_ii1, lemma_v1, lemma_v3, projected_expectation, sample_means
from .metrics import tlog_rmse, tlog_rmse_mean
from .mnist import MNIST, MNISTFileError, load_mnist
from .model import Model, Weights, init_weights
from .ode import ODEState, integrate_ode
from .order_params import order_parameters
from .pseudo_real import (FoldMoments, KDESampler, PseudoRealFit, PseudoRealParams, PseudoTeacher, TeacherParams,
                          TeacherStudy, corrected_constants, fit_kde, fit_pseudo_real, fold_moments, kde_bandwidth,
                          pseudo_real_model, pseudo_real_weights, pseudo_teacher_study, train_pseudo_teacher)
from .sgd import run_generator, sgd_steps, simulate_sgd, simulate_sgd_cached
from .trajectory import Trajectory, record_steps
from .validate import ParameterError

__version__ = "0.1.0"
