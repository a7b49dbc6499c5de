"""One module per chapter: the sweeps a chapter runs, its summaries, tables and figures, so that a chapter
is parameters, calls, prose and checks. Imports ``lib.core``, ``lib.measures`` and ``lib.bench``."""
