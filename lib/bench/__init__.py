"""Benchmarks of the engines (``python -m lib bench``): SGD run-steps per second against a plain loop and
the input GEMM floor (:mod:`.engine`), their scaling with N and the number of runs and one block's time
(:mod:`.scaling`), the ODE's integration time (:mod:`.ode`), and the records that gather them
(:mod:`.record`). Imports only ``lib.core``."""
from ..core.machine import machine_info
from ..core.sgd import BLOCK_DEFAULT
from .engine import PAPER, bench_cpu, bench_cuda, bench_engine, bench_gemm_floor, bench_numpy_reference
from .ode import REFERENCE_CPP_SECONDS, bench_ode
from .record import (PRESETS, RESULTS, SCHEMA, device_slug, headline, load_records, main, run_benchmark,
                     save_record, slugify)
