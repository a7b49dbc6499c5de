"""Claims of the paper, checked by the chapters and gathered by the reproduction report.

A chapter ends with its checks. Each check is recorded as a ``Claim`` (what is claimed, what we
measured, the tolerance, passed or not) by a ``Registry`` and stays an ``assert`` in the chapter:

    book = claims.Registry("02_hidden_manifold", globals(), section="II")
    assert book.check("II.abc", abc_error < 1e-8, statement="...", measured=abc_error, tolerance="< 1e-8"), abc_error

The registry writes one small JSON record per notebook execution to
``<output>/claims/<notebook>/<fingerprint>.json`` (``lib.core.paths.output_dir()``). The fingerprint hashes
the notebook's text, the source of the whole library (``lib.pipeline.chapters.library_sha256``) and the notebook's
parameter values, so a record describes exactly one (notebook, code, parameters) triple and can never be
stale: a changed line or parameter gives another file name.

The report (``collect``) computes the fingerprint each chapter *would* have under a profile without running
it; a record with that name is current by construction. A missing one is produced on the spot by executing
the chapter (``lib.pipeline.run.execute``), so the report is right whichever order the book executes notebooks in
(in the book's usual order the chapters run first and the report only reads).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from . import chapters
from ..core import paths
from ..core.cache import _jsonable
from ..measures.paper_tables import PAPER_TABLES  # noqa: F401  (part of this module's interface)
from .profiles import profile_parameters
from ..core.validate import ParameterError

REGISTRY_MARK = "claims.Registry("  # how ``collect`` recognises a notebook that records claims
NOT_FINGERPRINTED = ("results_from",)     # parameters that choose where results come from, not what they are
BOOK = "book"                        # report profile: per chapter, what the book shows (paper bundle or quick)


# The verdict vocabulary, used by every check, the report and the landing page (lib.measures.verdicts).
from ..measures.verdicts import (ASPECTS, CONTRADICTED, IN_SHAPE, NOT_REPRODUCED, NOT_TESTED, ON_FAIL,  # noqa: E402
                                 REPRODUCED, VERDICTS, Check)
VERDICT_RULE = (
    "A check that passes is *reproduced*; one that fails gives the verdict it declares: *not reproduced* (our "
    "data do not show what the paper states) or *contradicted* (our data show the opposite); one that the run's "
    "scale cannot decide is *not tested*. A claim of the paper takes the verdict of its tested checks: "
    "*contradicted* if any of them is; *reproduced* if all pass; *reproduced in shape, not in level* if the only "
    "failing checks are level checks and a shape or statement check passes; *not reproduced* otherwise; "
    "*not tested* without a tested check.")


@dataclasses.dataclass(frozen=True)
class Claim:
    """One checked statement. Truthy iff it passed, so ``assert registry.check(...)`` keeps the assertion."""

    id: str                  # unique within the book, e.g. "II.gep-slope"
    section: str             # paper section, e.g. "II", "V.1"
    statement: str           # what is claimed (the paper's words or the check it implies)
    measured: Any            # our number (or short text)
    tolerance: str           # the pass criterion, in words or as an inequality
    passed: bool
    paper_claim: str | None = None   # key in PAPER_CLAIMS this check supports
    notebook: str = ""
    aspect: str = "statement"        # one of ASPECTS
    on_fail: str = NOT_REPRODUCED    # the verdict a failure gives (one of ON_FAIL)
    tested: bool = True              # False: the run's scale lacks the power to decide (verdict "not tested")

    def __bool__(self) -> bool:
        return self.passed

    @property
    def verdict(self) -> str:
        if not self.tested:
            return NOT_TESTED
        return REPRODUCED if self.passed else self.on_fail


def claim_verdict(checks: list[Claim]) -> str:
    """The verdict of a paper claim from the checks that support it, by :data:`VERDICT_RULE`."""
    tested = [c for c in checks if c.tested]
    if not tested:
        return NOT_TESTED
    if any(c.verdict == CONTRADICTED for c in tested):
        return CONTRADICTED
    failed = [c for c in tested if not c.passed]
    if not failed:
        return REPRODUCED
    if all(c.aspect == "level" for c in failed) and any(c.passed and c.aspect != "level" for c in tested):
        return IN_SHAPE
    return NOT_REPRODUCED


@dataclasses.dataclass(frozen=True)
class PaperClaim:
    """A claim of the paper as listed in the design (``shared/DESIGN.md``)."""

    key: str
    section: str
    statement: str


PAPER_CLAIMS: dict[str, PaperClaim] = {c.key: c for c in [
    PaperClaim("GEP", "II", "For Gaussian latent variables the preactivations are jointly Gaussian with the "
               "covariance given by the order parameters Q, R, T (Gaussian equivalence, the premise of the ODE)."),
    PaperClaim("1", "IV", "Gaussian C: the ODE and SGD agree (tLog-RMSE small against the metric's scale)."),
    PaperClaim("2", "IV", "Unstandardised Gaussian mixtures: SGD leaves the ODE, more so as alpha (and the KL "
               "divergence) grows; the gap in v grows with time."),
    PaperClaim("2b", "IV", "Unstandardised Gaussian mixtures: as the KL divergence grows, the gaps in Q and v "
               "level off (first version of the paper)."),
    PaperClaim("2c", "IV", "Unstandardised Gaussian mixtures: the gap is small when alpha is small enough (later "
               "version of the paper)."),
    PaperClaim("3", "III", "alpha moves the KL divergence more than m does."),
    PaperClaim("4", "IV", "Standardised coordinate-wise mixtures: no significant gap for any alpha, m, even where "
               "the KL divergence is large."),
    PaperClaim("4b", "IV", "The mixture as eq. 17 literally defines it (one component label per sample, mean "
               "vectors in R^D), once standardised, follows the ODE too (the paper's conclusion read literally)."),
    PaperClaim("KL", "III", "The k-nearest-neighbour estimate of D_KL(P || N(0, I)) in D = 500 dimensions (the "
               "paper's KL axis in Figs. 2 and 6) measures how far the latent law is from a Gaussian."),
    PaperClaim("5", "V.1", "Lemma V.3 holds for sgn, ReLU and erf under standardised non-Gaussian inputs "
               "(with Lemmas II.1 and V.1 as its steps)."),
    PaperClaim("6", "V.2", "Standardised distributions with finite variance all follow the ODE; the Lorentz "
               "(Cauchy) one does not."),
    PaperClaim("7", "V.3", "Pseudo-real MNIST: the ODE approximately predicts SGD; the pseudo-teacher beats "
               "random teachers (t-test)."),
]}

def records_dir() -> Path:
    """Folder of the claim records (under the git-ignored output folder)."""
    return paths.output_dir() / "claims"


def fingerprint(notebook: str | Path, parameters: Mapping[str, Any]) -> str:
    """Identity of one execution: the notebook's text, the whole library's source, the parameter values."""
    ident = {"notebook": chapters.source_path(notebook).stem, "source": chapters.source_sha256(notebook),
             "code": chapters.library_sha256(), "parameters": _jsonable(dict(parameters))}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]


def record_path(notebook: str | Path, fp: str) -> Path:
    return records_dir() / chapters.source_path(notebook).stem / f"{fp}.json"


def _plain(x: Any) -> Any:
    """JSON-ready copy of a measured value: numpy scalars to floats, non-finite floats to strings."""
    if hasattr(x, "item") and getattr(x, "ndim", 0) == 0:
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


class Registry:
    """Records a notebook's checks under the fingerprint of its current parameters.

    ``notebook``: stem or path of the notebook; ``namespace``: the notebook's ``globals()``, from which
    the values of the names assigned in its ``parameters`` cell are read (papermill overrides included).
    """

    def __init__(self, notebook: str | Path, namespace: Mapping[str, Any], *, section: str = ""):
        self.source = chapters.source_path(notebook)
        self.notebook = self.source.stem
        self.section = section
        names = [n for n in chapters.parameter_defaults(self.source) if n not in NOT_FINGERPRINTED]
        missing = [n for n in names if n not in namespace]
        if missing:
            raise ParameterError(f"namespace lacks the parameter(s) {', '.join(missing)} of {self.notebook}")
        self.parameters = {n: namespace[n] for n in names}
        self.fingerprint = fingerprint(self.source, self.parameters)
        self.path = record_path(self.source, self.fingerprint)
        self.claims: dict[str, Claim] = {}
        self.tables: dict[str, dict] = {}

    def check(self, id: str, passed, *, statement: str, measured: Any, tolerance: str,
              paper_claim: str | None = None, section: str | None = None, aspect: str = "statement",
              on_fail: str = NOT_REPRODUCED, tested: bool = True) -> Claim:
        """Record one check and return it (truthy iff ``passed``); the record file is rewritten at once.

        ``aspect`` (statement, shape, level), ``on_fail`` (the verdict a failure gives: not reproduced or
        contradicted) and ``tested`` (False where the scale of the run cannot decide) set its verdict
        (:attr:`Claim.verdict`). A chapter asserts the checks that must hold for its own numbers to mean
        anything; a check of a paper's statement that may fail is recorded with its verdict, not asserted."""
        if paper_claim is not None and paper_claim not in PAPER_CLAIMS:
            raise ParameterError(f"paper_claim={paper_claim!r} is not one of {', '.join(PAPER_CLAIMS)}")
        if aspect not in ASPECTS:
            raise ParameterError(f"aspect={aspect!r} is not one of {', '.join(ASPECTS)}")
        if on_fail not in ON_FAIL:
            raise ParameterError(f"on_fail={on_fail!r} is not one of {', '.join(ON_FAIL)}")
        claim = Claim(id=id, section=section or self.section, statement=statement, measured=_plain(measured),
                      tolerance=str(tolerance), passed=bool(passed), paper_claim=paper_claim, notebook=self.notebook,
                      aspect=aspect, on_fail=on_fail, tested=bool(tested))
        self.claims[id] = claim
        self.save()
        return claim

    def add(self, check: Check) -> Claim:
        """Record a check decided in the library (:class:`lib.measures.verdicts.Check`)."""
        return self.check(**check.record)

    def table(self, key: str, rows: Mapping[str, list], columns: list[str], *, note: str = "") -> None:
        """Record our version of a paper table (key as in ``PAPER_TABLES``, e.g. "I"), rows label -> values."""
        self.tables[key] = {"columns": list(columns), "rows": {str(k): [_plain(v) for v in vals] for k, vals in rows.items()},
                            "note": note}
        self.save()

    def as_record(self) -> dict:
        return {"notebook": self.notebook, "fingerprint": self.fingerprint, "code": chapters.library_sha256(),
                "parameters": _jsonable(self.parameters), "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "claims": [dataclasses.asdict(c) for c in self.claims.values()], "tables": self.tables}

    def save(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.as_record(), indent=1))
        os.replace(tmp, self.path)
        return self.path


def records_claims(notebook: str | Path) -> bool:
    """Whether the notebook records claims (its text builds a ``claims.Registry``)."""
    return REGISTRY_MARK in chapters.source_path(notebook).read_text()


def expected_parameters(notebook: str | Path, profile: str = "quick") -> dict[str, Any]:
    """Parameter values of ``notebook`` under ``profile``: its defaults updated by the profile."""
    stem = chapters.source_path(notebook).stem
    values = {**chapters.parameter_defaults(notebook), **profile_parameters(shown_profile(stem, profile), stem)}
    return {k: v for k, v in values.items() if k not in NOT_FINGERPRINTED}


def shown_profile(notebook: str | Path, profile: str) -> str:
    """``profile`` itself, or for ``"book"`` the one the book shows: paper where the bundle is current."""
    if profile != BOOK:
        return profile
    from . import bundle

    stem = chapters.source_path(notebook).stem
    uses_bundle = "results_from" in chapters.parameter_defaults(stem) and bundle.status(stem)[0]
    return "paper" if uses_bundle else "quick"


def load_record(notebook: str | Path, profile: str = "quick") -> dict | None:
    """The current record of ``notebook`` under ``profile`` or None if this execution never happened."""
    path = record_path(notebook, fingerprint(notebook, expected_parameters(notebook, profile)))
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    record["claims"] = [Claim(**c) for c in record["claims"]]
    return record


def _execute(notebook: Path, profile: str) -> None:
    """Execute ``notebook`` under ``profile`` with its kernel's console output sent to a log file."""
    from .run import execute

    out_dir = records_dir() / "runs" / notebook.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "run.log", "w") as log:
        saved = [os.dup(1), os.dup(2)]
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            execute(str(notebook), profile, out_dir=out_dir, quiet=True)
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def collect(profile: str = "quick", notebooks=None, *, run_missing: bool = True,
            executor: Callable[[Path, str], None] | None = None) -> dict[str, dict]:
    """Current records of every claim-recording notebook under ``profile``, {stem: record}.

    A notebook without a current record is executed first (``executor``, default ``lib.pipeline.run.execute``
    into ``<output>/claims/runs/``) when ``run_missing``; otherwise it maps to None.
    """
    if notebooks is None:
        notebooks = [s for s in chapters.notebook_stems() if records_claims(s)]
    out = {}
    for nb in notebooks:
        src = chapters.source_path(nb)
        record = load_record(src, profile)
        if record is None and run_missing:
            (executor or _execute)(src, shown_profile(src, profile))
            record = load_record(src, profile)
            if record is not None:
                record["ran_here"] = True
            else:
                raise RuntimeError(f"{src.stem} ran but wrote no record for its {profile!r} parameters: does it "
                                   f"modify a parameter after the parameters cell, or build no claims.Registry?")
        out[src.stem] = record
    return out


# ---------------------------------------------------------------------------------------------- rendering

def _cell(x: Any) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        return f"{x:.3g}"
    if isinstance(x, list):
        return ", ".join(_cell(v) for v in x)
    return str(x).replace("|", "\\|").replace("\n", " ")


def mark(passed: bool | None) -> str:
    return {True: "✅ pass", False: "❌ fail", None: "… not yet checked"}[passed]


VERDICT_MARKS = {REPRODUCED: "✅", IN_SHAPE: "🟡", NOT_REPRODUCED: "❌", CONTRADICTED: "⛔", NOT_TESTED: "⚪"}


def verdict_mark(verdict: str) -> str:
    return f"{VERDICT_MARKS[verdict]} {verdict}"


def all_claims(records: Mapping[str, dict | None]) -> list[Claim]:
    return [c for r in records.values() if r for c in r["claims"]]


def checks_label(notebook: str) -> str:
    """The MyST label of a chapter's checks section: ``checks-<stem>`` (a chapter marks its "Claims checked"
    heading with ``(checks-<stem>)=``)."""
    return f"checks-{chapters.source_path(notebook).stem}"


def checks_link(notebook: str) -> str:
    """A link to the cell that computes a chapter's checks: its labelled checks section, else the chapter."""
    try:
        source = chapters.source_path(notebook)
        labelled = f"(checks-{source.stem})=" in source.read_text()
    except (OSError, ParameterError):
        source, labelled = Path(str(notebook)), False
    stem = source.stem
    return f"{{ref}}`{stem} <checks-{stem}>`" if labelled else f"{{doc}}`{stem} </notebooks/{stem}>`"


def checks_markdown(records: Mapping[str, dict | None], scales: Mapping[str, str] | None = None) -> str:
    """Markdown table of every recorded check: id with a link to the chapter cell that computes it, the scale it
    ran at (``scales``: chapter -> "paper" or "quick"; the column is left out without it), statement, measured,
    tolerance, verdict."""
    scale_head, scale_rule = ("scale | ", "---|") if scales is not None else ("", "")
    lines = [f"| check | {scale_head}statement | measured | tolerance | verdict |", f"|---|{scale_rule}---|---|---|---|"]
    for c in all_claims(records):
        scale = f"{scales.get(c.notebook, '?')} | " if scales is not None else ""
        lines.append(f"| `{c.id}` ({checks_link(c.notebook)}) | {scale}{_cell(c.statement)} | {_cell(c.measured)} "
                     f"| {_cell(c.tolerance)} | {verdict_mark(c.verdict)} |")
    return "\n".join(lines)


def paper_claim_status(records: Mapping[str, dict | None]) -> dict[str, tuple[str, list[Claim]]]:
    """Per paper claim: (its verdict by :func:`claim_verdict`, the checks that support it)."""
    found = all_claims(records)
    out = {}
    for key in PAPER_CLAIMS:
        support = [c for c in found if c.paper_claim == key]
        out[key] = (claim_verdict(support), support)
    return out


def verdict_tally(records: Mapping[str, dict | None]) -> dict[str, int]:
    """How many of the paper's claims have each verdict (every verdict listed, zeros included)."""
    counts = {v: 0 for v in VERDICTS}
    for verdict, _ in paper_claim_status(records).values():
        counts[verdict] += 1
    return counts


def paper_claims_markdown(records: Mapping[str, dict | None]) -> str:
    lines = ["| claim | section | the paper's statement | checked by | verdict |", "|---|---|---|---|---|"]
    for key, (verdict, support) in paper_claim_status(records).items():
        claim = PAPER_CLAIMS[key]
        by = ", ".join(f"`{c.id}`" + ("" if c.passed or not c.tested else " ❌") for c in support) or "no check"
        lines.append(f"| {key} | {claim.section} | {_cell(claim.statement)} | {by} | {verdict_mark(verdict)} |")
    return "\n".join(lines)


def failures_markdown(records: Mapping[str, dict | None]) -> str:
    """One line per check that did not pass (or could not be decided): its verdict, what it states, what we
    measured against which tolerance, and the chapter that computes it."""
    lines = []
    for c in all_claims(records):
        if c.verdict != REPRODUCED:
            lines.append(f"- {verdict_mark(c.verdict)} `{c.id}` ({{doc}}`{c.notebook} </notebooks/{c.notebook}>`): "
                         f"{_cell(c.statement)} Measured {_cell(c.measured)}; needed {_cell(c.tolerance)}.")
    return "\n".join(lines) or "Every recorded check is reproduced."


def disagreements_markdown(records: Mapping[str, dict | None], per_claim: int = 3) -> str:
    """One item per paper claim whose verdict is not *reproduced*: the verdict, the claim, up to ``per_claim`` of
    its checks that did not pass with what they measured against what they needed, and links to the chapters
    that show them. The landing page's list of disagreements (the report lists every check)."""
    lines = []
    for key, (verdict, support) in paper_claim_status(records).items():
        if verdict == REPRODUCED:
            continue
        claim = PAPER_CLAIMS[key]
        off = [c for c in support if c.verdict != REPRODUCED]
        shown = "; ".join(f"`{c.id}` measured {_cell(c.measured)}, needed {_cell(c.tolerance)}" for c in off[:per_claim])
        more = f"; {len(off) - per_claim} more in the report" if len(off) > per_claim else ""
        where = ", ".join(f"{{doc}}`{nb} </notebooks/{nb}>`" for nb in dict.fromkeys(c.notebook for c in off or support))
        if not support:
            found = "No chapter checks it. "
        elif verdict == NOT_TESTED:
            found = f"No check could decide it at this scale: {shown}{more}. "
        else:
            found = f"{shown}{more}. "
        lines.append(f"- {verdict_mark(verdict)}: **claim {key}** (section {claim.section}). {_cell(claim.statement)} "
                     + found + (f"Shown in {where}." if support else ""))
    return "\n".join(lines) or "Every claim of the paper is reproduced."


def tally_markdown(records: Mapping[str, dict | None]) -> str:
    """The verdict tally of the paper's claims as one sentence fragment, e.g. "**4** ✅ reproduced; **3** ⛔ ..."."""
    return "; ".join(f"**{n}** {verdict_mark(v)}" for v, n in verdict_tally(records).items() if n)


def stability_dir() -> Path:
    """Folder of the seed-stability summaries (``scripts/seed_stability.py``), committed with the code."""
    return paths.ROOT / "results" / "stability"


def stability_markdown(folder: Path | None = None) -> str:
    """One row per chapter with a seed-stability summary: profile, seeds run, checks, the checks whose verdict
    changed on more seeds than the criterion allows (with their verdict counts), and whether the summary was
    made with the library code of now (a summary of older code is marked, not hidden)."""
    folder = folder or stability_dir()
    files = sorted(folder.glob("*.json")) if folder.exists() else []
    if not files:
        return "No seed-stability summary has been made yet (`scripts/seed_stability.py`)."
    lines = ["| chapter | profile | seeds | checks | changed verdict on more than 1 seed in 20 |", "|---|---|---|---|---|"]
    for f in files:
        s = json.loads(f.read_text())
        unstable = [f"`{cid}` ({', '.join(f'{n} {v}' for v, n in s['checks'][cid]['counts'].items())})"
                    for cid in s.get("unstable", [])]
        lines.append(f"| {{doc}}`{s['notebook']} </notebooks/{s['notebook']}>` | {s['profile']} | {s['n_seeds']} "
                     f"| {len(s['checks'])} | {'; '.join(unstable) or 'none'} |")
    return "\n".join(lines)


def table_markdown(key: str, records: Mapping[str, dict | None], split: int = 4) -> tuple[str, dict | None]:
    """The paper's table ``key`` as Markdown, each cell "paper / ours" where a chapter recorded the table: two
    tables, the first ``split`` columns (the components of Q) and the rest (R and v), since ten columns of
    "paper / ours" pairs are wider than the book's text column.

    Returns the Markdown and our recorded table (None until a chapter records it with ``Registry.table``).
    """
    paper = PAPER_TABLES[key]
    ours = next((r["tables"][key] for r in records.values() if r and key in r.get("tables", {})), None)
    cols = list(paper["columns"])
    parts = []
    for group in (cols[:split], cols[split:]):
        if not group:
            continue
        lines = ["| | " + " | ".join(group) + " |", "|---" * (len(group) + 1) + "|"]
        for label, values in paper["rows"].items():
            mine = ours["rows"].get(label) if ours else None
            cells = []
            for col in group:
                text = f"{values[cols.index(col)]:.3f}"
                if mine is not None and col in ours["columns"]:
                    text += f" / {_cell(mine[ours['columns'].index(col)])}"
                cells.append(text)
            lines.append(f"| {_cell(label)} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts), ours
