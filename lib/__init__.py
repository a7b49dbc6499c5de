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
