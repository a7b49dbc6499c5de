# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Performance
#
# This appendix says how fast the library's two engines are and where their time goes. Every number on
# the page comes from a benchmark record: a small JSON file in `results/bench/`, one per machine, written
# by
#
# ```
# python -m lib bench --save            # add --threads 1 to measure one core
# ```
#
# which stores each figure together with the machine (CPU model, cores, torch threads and version, GPU),
# the date, the git commit, the options and the load average of the machine while it ran. Running it
# again on the same machine replaces that machine's record. When the book is built, this page can also
# take a short measurement of the machine that builds it (parameter `measure`); that measurement is
# labelled as such: it lasts seconds, on a machine that may be busy, so it only shows the order of
# magnitude.
#
# The configuration is the paper's: $D=500$, $N=1000$, $K=M=2$, $f=\operatorname{sgn}$,
# $g=\operatorname{erf}(x/\sqrt2)$, single precision, Gaussian latent inputs (the cheapest to draw, so
# that the engine itself is measured). Speed is counted in *run-steps per second*: $R$ independent runs
# advanced by $n$ SGD steps each make $Rn$ run-steps.

# %% tags=["parameters"]
measure = "tiny"                 # none (stored records only), tiny (plus a short noisy measurement here) or full
threads = 1                      # torch CPU threads for the measurement made here

# %%
import math

import torch
from IPython.display import Markdown, display
from myst_nb import glue

from lib import bench
from lib.studies import performance as study
from lib.studies import style

style.use()
page = study.gather(measure, threads)          # the stored records, and a measurement here unless measure is none
here, shown, main, rows = page.here, page.shown, page.main, page.rows
print(page.summary())

# %% [markdown]
# ## The stored records
#
# One column per record. *Engine* is the batched SGD engine (`lib.core.sgd.simulate_sgd`,
# {glue:text}`full_runs` runs in the full benchmark); *loop* is a plain numpy loop that trains one run one
# step at a time, measured in the same process right before the engine, so their ratio is free of
# day-to-day drift. The *GEMM floor* is the
# rate at which the machine can only form the inputs $X=\operatorname{sgn}(CF/\sqrt D)$, one matrix
# product for many run-steps; no engine can beat it. The ODE columns give the time to integrate the
# order-parameter equations to $t=100$ with Euler steps $dt=0.01$ (lib.core.ode), beside the
# {glue:text}`cpp_seconds` s of the compiled C++ reference code on one core of a 2-core machine.

# %% tags=["remove-input"]
display(Markdown(study.records_by_quantity(shown, rows)))

# %% tags=["remove-input"]
h = bench.headline(main)
fmt = study.fmt
glue("cpp_seconds", f"{bench.REFERENCE_CPP_SECONDS:g}", display=False)
glue("main_label", main["label"], display=False)
glue("main_engine", f"{h['engine']:,.0f}", display=False)
glue("main_loop", f"{h['numpy_loop']:,.0f}", display=False)
glue("main_ratio", f"{h['ratio']:.1f}", display=False)
glue("main_floor_share", f"{100 * h['floor_share']:.0f} %", display=False)
glue("main_ode_erf", fmt(h["ode_erf_t100"], ".2f"), display=False)
glue("main_ode_ratio", fmt(h["ode_ratio_cpp"], ".1f"), display=False)
glue("main_threads", f"{h['threads']}", display=False)
glue("full_runs", f"{bench.PRESETS['full']['runs']}", display=False)
glue("full_N_runs", f"{bench.PRESETS['full']['N_runs']}", display=False)
glue("block", f"{bench.BLOCK_DEFAULT['cpu']}", display=False)

# %% [markdown]
# On {glue:text}`main_label`, with {glue:text}`main_threads` torch thread(s), the engine makes
# {glue:text}`main_engine` run-steps per second against {glue:text}`main_loop` for the plain loop, a
# factor {glue:text}`main_ratio`, and reaches {glue:text}`main_floor_share` of the GEMM floor. The ODE
# takes {glue:text}`main_ode_erf` s for erf, {glue:text}`main_ode_ratio` times the C++ figure. A
# "tiny" record or measurement extrapolates a short ODE run to $t=100$; the table marks its mode.
#
# ## How the cost grows with $N$ and with the number of runs
#
# One SGD step needs the input $X = f(CF/\sqrt D)$, a product of a $D$-vector with a $D\times N$ matrix:
# about $2ND$ floating-point operations, against $O(KN)$ for everything the student does with it. At a
# fixed ratio $D/N$ the cost of a step therefore grows like $N^2$ and the rate should fall like $N^{-2}$
# once the product dominates; at small $N$ the fixed costs of each step (drawing $C$, Python and kernel
# overheads) take over and the curve flattens.
#
# Batching runs helps because of how the engine is built: for a block of {glue:text}`block` steps it draws the latent
# inputs of all runs and forms all their $X$ in one large matrix product, which runs near the machine's
# peak, while one run alone makes a long sequence of thin products that are limited by memory and by
# per-call overhead. The only part that must stay sequential (each step depends on the weights left by
# the previous one) is reduced to arithmetic on $K$ numbers per run, done for all runs at once. So the
# rate climbs with $R$ until the big product dominates, and then levels off below the GEMM floor.

# %% tags=["remove-input"]
fig = study.scaling_figure(shown, main)
style.savefig(fig, "performance_scaling")
glue("scaling_fig", fig, display=False)
slope_N, gain_R, R_max = study.scaling_numbers(main)
glue("slope_N", f"{slope_N:.2f}", display=False)
glue("gain_R", f"{gain_R:.1f}", display=False)
glue("R_max", R_max, display=False)

# %% [markdown]
# ```{glue:figure} scaling_fig
# :name: fig-performance-scaling
#
# (no counterpart in the paper) Left: engine run-steps per second against $N$ at $D=N/2$ (solid, {glue:text}`full_N_runs` runs in the full benchmark) and
# the input-product floor at the same size (dotted); the dash-dotted grey line falls like $N^{-2}$.
# Right: the rate against the number of runs batched together at the paper's size, with the GEMM floor
# (dotted) and the one-run numpy loop (dashed) of the same record.
# ```
#
# Between the two largest $N$ of {glue:text}`main_label` the rate falls like $N^{s}$ with
# $s=${glue:text}`slope_N` ($-2$ if the input product were the only cost). Going from one run to the best
# batch (up to {glue:text}`R_max` runs) multiplies the rate by {glue:text}`gain_R`.
#
# ## Where the time of one block goes
#
# The breakdown times the parts of one engine block ({glue:text}`block` steps for every run) separately: drawing the
# latent inputs $C$, the input product $CF/\sqrt D$ with the folding function, the teacher's labels,
# the Gram matrix $XX^\top$ and the preactivations $WX^\top$ at the start of the block, the sequential
# loop over the block's steps, and the final update $W \mathrel{+}= c^\top X$. The library's engine does all
# of these in one method, and we do not split it for a benchmark: `lib.bench.scaling.timed_block_step`
# repeats the same torch calls in the same order with a clock read between them, and calls the engine's
# own sequential loop; a test checks that it leaves the weights bit-for-bit equal to the engine's.
# The times are per run-step, so records measured with different numbers of runs compare directly.

# %% tags=["remove-input"]
fig = study.breakdown_figure(shown)
style.savefig(fig, "performance_breakdown")
glue("breakdown_fig", fig, display=False)
bd = study.breakdown(main)
frac = bd.fraction
glue("frac_gemm", f"{100 * frac.get('input GEMM + fold', math.nan):.0f} %", display=False)
glue("frac_loop", f"{100 * frac.get('sequential loop', math.nan):.0f} %", display=False)
glue("frac_sample", f"{100 * frac.get('sample C', math.nan):.0f} %", display=False)
glue("breakdown_runs", f"{bd.runs}" if frac else "n/a", display=False)
glue("parts_ms", f"{bd.parts_ms:.1f}" if frac else "n/a", display=False)     # the timed copy against the engine's
glue("whole_ms", f"{bd.whole_ms:.1f}" if frac else "n/a", display=False)     # own step

# %% [markdown]
# ```{glue:figure} breakdown_fig
# :name: fig-performance-breakdown
#
# (no counterpart in the paper) Time per run-step of each part of an engine block, for each record with a breakdown.
# ```
#
# For {glue:text}`main_label` ({glue:text}`breakdown_runs` runs), the input product with the fold takes
# {glue:text}`frac_gemm` of a block, the sequential loop {glue:text}`frac_loop`, and drawing the latent
# inputs {glue:text}`frac_sample`. The input product is work every method must do; the loop is the price
# of online SGD's step-by-step dependence, kept small by working on $K$ numbers per run. Timed part by
# part, a block (without drawing $C$) takes {glue:text}`parts_ms` ms; the engine's own untimed step on
# the same inputs takes {glue:text}`whole_ms` ms, so reading the clock between the parts costs little.
#
# ## The whole paper profile
#
# `make paper` runs every chapter under the paper profile and records the machine and the wall time of each
# result with its bundle (see {doc}`../book/rerun`). The compute time is the sum of the times its results
# took to compute; the last driver run can be much shorter, when the chapter resumed from the result cache
# after an interruption or a failed check. Rows come from the bundles' provenance records. A chapter too long
# for one sitting is computed in pieces that are kept in the stash until it is complete; the last row, when
# there is one, is the compute time of those pieces so far.

# %% tags=["remove-input"]
from lib.pipeline import bundle, paper, stash

status = {stem: bundle.status(stem) for stem in paper.paper_chapters()}
spent = {stem: bundle.compute_seconds(stem) for stem, (_, _, prov) in status.items() if prov is not None}
bundled = study.bundled_entries(status)
pieces = [e for e in stash.stashed() if e.current and f"{e.folder}/{e.digest}" not in bundled]   # not yet bundled
display(Markdown(study.paper_profile_table(status, spent, stash.compute_seconds(pieces) if pieces else None,
                                           len(pieces))))

# %% [markdown]
# ## Sweeps on one or several machines
#
# `python -m lib paper --scheduler local:N` runs a chapter's engine batches on a Dask cluster of $N$ worker
# processes (or on a running scheduler, `tcp://host:port`; see the README). `scripts/bench_sweep.py` times a
# small Section IV sweep in this process and on 1 and 2 local workers; the stored records:

# %% tags=["remove-input"]
display(Markdown(study.sweep_table(study.sweep_records())))

# %% [markdown]
# ## Checks
#
# Timings are not asserted: on a shared machine they vary by tens of percent from one run to the next.
# The checks below only make sure every record shown is complete and its figures are positive and finite.

# %%
for r, h in zip(shown, rows):
    assert not study.record_problems(r, h), (r["label"], study.record_problems(r, h))
if here is not None:
    assert here["machine"]["torch_threads"] == torch.get_num_threads() == threads, here["machine"]
print(f"{len(shown)} record(s) complete, every figure positive and finite")
