"""Gaussian universality in the hidden manifold model: the library behind the book.

Public entry points (names fixed by the design card) are re-exported here.
"""
from .cache import cached, code_hash
from .device import default_device
from .functions import ACTIVATIONS, FOLD_CLOSED_FORMS, FOLDS, activation, fold, fold_constants, fold_numpy
from .integrals import I2, eg_analytic
from .model import Model, Weights, init_weights
from .order_params import order_parameters
from .trajectory import Trajectory, record_steps
from .validate import ParameterError

__version__ = "0.1.0"
from .inputs import DISTRIBUTIONS, InputDistribution, make_distribution, sample_inputs
from .kl import kl_exact, kl_gaussians, kl_knn, kl_monte_carlo
from .metrics import tlog_rmse, tlog_rmse_mean
from .lemmas import lemma_ii1, lemma_v1, lemma_v3, projected_expectation, sample_means
from .mnist import MNIST, MNISTFileError, load_mnist
from .pseudo_real import (FoldMoments, KDESampler, PseudoRealFit, PseudoRealParams, PseudoTeacher, TeacherParams,
                          TeacherStudy, corrected_constants, fit_kde, fit_pseudo_real, fold_moments, kde_bandwidth,
                          pseudo_real_model, pseudo_real_weights, pseudo_teacher_study, train_pseudo_teacher)
from .sgd import run_generator, sgd_steps, simulate_sgd, simulate_sgd_cached
from .claims import PAPER_CLAIMS, PAPER_TABLES, Claim, Registry, collect
from .integrals import I3, I4, check_covariance
from .ode import ODEState, integrate_ode
from .section5 import (Law, LawMoments, Outcome, floor_test, guarded_compare, law_moments, make_laws,
                       projected_cumulants, sample_size_study, standardization_scale, table1)
