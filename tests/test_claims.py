"""Claims registry and reproduction report (lib.pipeline.claims), notebook parameter docs (lib.pipeline.chapters), the
schematic figure (lib.studies.schematic) and the book configuration that serves them."""
from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from lib.pipeline import chapters, claims
from lib.core import paths
from lib.core.validate import ParameterError

TINY = textwrap.dedent('''\
    # ---
    # jupyter:
    #   kernelspec:
    #     display_name: Python 3
    #     language: python
    #     name: python3
    # ---

    # %% tags=["remove-cell"]
    import sys
    sys.path.insert(0, {root!r})

    # %% tags=["parameters"]
    a = 1            # first knob
    b = [1, 2]       # second knob
    seed = 0

    # %%
    from lib.pipeline import claims

    book = claims.Registry(__NOTEBOOK__, globals(), section="T")
    assert book.check("T.sum", a + sum(b) == 4, measured=a + sum(b), tolerance="== 4", statement="a + sum(b) is 4")
    ''')


@pytest.fixture
def out(tmp_path, monkeypatch):
    """Claim records go to a fresh output folder."""
    monkeypatch.setenv("HMM_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


@pytest.fixture
def tiny(tmp_path):
    """A minimal claim-recording notebook (a jupytext percent file) outside notebooks/."""
    path = tmp_path / "tiny_chapter.py"
    path.write_text(TINY.format(root=str(paths.ROOT)).replace("__NOTEBOOK__", repr(str(path))))
    return path


def simulate_run(path: Path, **overrides):
    """What executing the tiny notebook does to the records, without a kernel."""
    ns = {**chapters.parameter_defaults(path), **overrides}
    reg = claims.Registry(path, ns, section="T")
    reg.check("T.sum", ns["a"] + sum(ns["b"]) == 4, measured=ns["a"] + sum(ns["b"]), tolerance="== 4",
              statement="a + sum(b) is 4")
    return reg


# ------------------------------------------------------------------------------------------ records

def test_claim_is_truthy_iff_passed_and_failures_are_recorded(out, tiny):
    reg = claims.Registry(tiny, chapters.parameter_defaults(tiny))
    good = reg.check("T.good", True, statement="s", measured=1.0, tolerance="t")
    assert good and good.passed
    with pytest.raises(AssertionError):
        assert reg.check("T.bad", 1 > 2, statement="s", measured=float("nan"), tolerance="t")
    record = json.loads(reg.path.read_text())           # written before the assertion fired
    assert [c["id"] for c in record["claims"]] == ["T.good", "T.bad"]
    assert [c["passed"] for c in record["claims"]] == [True, False]
    assert record["claims"][1]["measured"] == "nan"     # non-finite numbers stay valid JSON


def test_fingerprint_names_exactly_one_execution(out, tiny, monkeypatch):
    defaults = chapters.parameter_defaults(tiny)
    assert defaults == {"a": 1, "b": [1, 2], "seed": 0}
    fp = claims.fingerprint(tiny, defaults)
    assert claims.fingerprint(tiny, dict(defaults)) == fp                      # deterministic
    assert claims.fingerprint(tiny, {**defaults, "a": 2}) != fp                # another parameter value
    monkeypatch.setattr(chapters, "library_sha256", lambda: "edited-lib")
    assert claims.fingerprint(tiny, defaults) != fp                            # another library source
    monkeypatch.undo()
    tiny.write_text(tiny.read_text() + "\n# an edit\n")
    assert claims.fingerprint(tiny, defaults) != fp                            # another notebook text


def test_load_record_sees_only_the_current_execution(out, tiny):
    assert claims.load_record(tiny) is None
    simulate_run(tiny, a=2)                      # a run with other parameters: not the quick record
    assert claims.load_record(tiny) is None
    simulate_run(tiny)
    record = claims.load_record(tiny)
    assert record["claims"][0].id == "T.sum" and record["claims"][0].passed
    tiny.write_text(tiny.read_text().replace("first knob", "first knob, edited"))
    assert claims.load_record(tiny) is None      # the notebook changed: its old record is not current


def test_registry_needs_every_parameter(out, tiny):
    with pytest.raises(ParameterError, match="b"):
        claims.Registry(tiny, {"a": 1, "seed": 0})


def test_unknown_paper_claim_is_refused(out, tiny):
    reg = claims.Registry(tiny, chapters.parameter_defaults(tiny))
    with pytest.raises(ParameterError, match="paper_claim"):
        reg.check("T.x", True, statement="s", measured=1, tolerance="t", paper_claim="99")


# ------------------------------------------------------------------------------ report: order and staleness

def test_collect_runs_a_chapter_only_when_its_record_is_missing(out, tiny):
    calls = []

    def executor(path, profile):
        calls.append((path.stem, profile))
        simulate_run(path)

    first = claims.collect("quick", [tiny], executor=executor)        # report before the chapter: runs it
    second = claims.collect("quick", [tiny], executor=executor)       # afterwards: reads only
    assert calls == [("tiny_chapter", "quick")]
    assert first["tiny_chapter"]["claims"] == second["tiny_chapter"]["claims"]
    assert first["tiny_chapter"]["fingerprint"] == second["tiny_chapter"]["fingerprint"]


def test_collect_gives_the_same_report_whichever_runs_first(out, tiny, tmp_path, monkeypatch):
    simulate_run(tiny)                                                  # chapter first
    after = claims.collect("quick", [tiny], run_missing=False)
    monkeypatch.setenv("HMM_OUTPUT_DIR", str(tmp_path / "other"))       # fresh output: report first
    before = claims.collect("quick", [tiny], executor=lambda p, prof: simulate_run(p))
    strip = lambda r: [(c.id, c.passed, c.measured) for c in r["tiny_chapter"]["claims"]]  # noqa: E731
    assert strip(before) == strip(after)


def test_collect_reports_missing_or_refuses_a_chapter_that_writes_nothing(out, tiny):
    assert claims.collect("quick", [tiny], run_missing=False) == {"tiny_chapter": None}
    with pytest.raises(RuntimeError, match="wrote no record"):
        claims.collect("quick", [tiny], executor=lambda p, prof: None)


@pytest.mark.notebook
def test_collect_executes_a_real_notebook(out, tiny):
    """End to end through papermill (one kernel start, a few seconds)."""
    records = claims.collect("quick", [tiny])
    claim = records["tiny_chapter"]["claims"][0]
    assert claim.passed and claim.measured == 4 and claim.notebook == "tiny_chapter"
    assert (out / "claims" / "runs" / "tiny_chapter" / "tiny_chapter.ipynb").exists()


# ---------------------------------------------------------------------------------------------- rendering

def _records(passes):
    cs = [claims.Claim(f"X.{i}", "IV", f"statement {i} | with a pipe", 0.5, "< 1", p, paper_claim="1")
          for i, p in enumerate(passes)]
    return {"nb": {"claims": cs, "tables": {}}}


def test_paper_claim_status_needs_every_supporting_check():
    assert claims.paper_claim_status(_records([True, True]))["1"][0] == claims.REPRODUCED
    assert claims.paper_claim_status(_records([True, False]))["1"][0] == claims.NOT_REPRODUCED
    assert claims.paper_claim_status(_records([True]))["7"] == (claims.NOT_TESTED, [])


def _check(passed, aspect="statement", on_fail=claims.NOT_REPRODUCED, tested=True):
    return claims.Claim("X", "IV", "s", 0.0, "t", passed, "1", "nb", aspect, on_fail, tested)


@pytest.mark.parametrize("checks, verdict", [
    ([], claims.NOT_TESTED),
    ([_check(False, tested=False)], claims.NOT_TESTED),
    ([_check(True), _check(True, "shape")], claims.REPRODUCED),
    ([_check(True, "shape"), _check(False, "level")], claims.IN_SHAPE),
    ([_check(False, "level")], claims.NOT_REPRODUCED),                       # no passing shape: not "in shape"
    ([_check(True, "shape"), _check(False, "level"), _check(False)], claims.NOT_REPRODUCED),
    ([_check(True), _check(False, on_fail=claims.CONTRADICTED)], claims.CONTRADICTED),
    ([_check(True), _check(False, tested=False)], claims.REPRODUCED),        # an undecided check does not count
])
def test_claim_verdict_rule(checks, verdict):
    assert claims.claim_verdict(checks) == verdict


def test_a_check_gives_its_declared_verdict(out, tiny):
    book = claims.Registry(tiny, {"a": 1, "b": [1, 2], "seed": 0})
    assert book.check("X.ok", True, statement="s", measured=1, tolerance="t").verdict == claims.REPRODUCED
    failed = book.check("X.bad", False, statement="s", measured=1, tolerance="t", on_fail=claims.CONTRADICTED)
    assert not failed and failed.verdict == claims.CONTRADICTED
    assert book.check("X.small", True, statement="s", measured=1, tolerance="t", tested=False).verdict == claims.NOT_TESTED
    with pytest.raises(ParameterError, match="aspect"):
        book.check("X.odd", True, statement="s", measured=1, tolerance="t", aspect="vibe")
    with pytest.raises(ParameterError, match="on_fail"):
        book.check("X.odd", False, statement="s", measured=1, tolerance="t", on_fail="fine")
    assert claims.verdict_tally(claims.collect("quick", [tiny], run_missing=False)) is not None


def test_failures_list_names_every_check_not_reproduced():
    text = claims.failures_markdown(_records([True, False, False]))
    assert text.count("❌ not reproduced") == 2 and "`X.1`" in text and "`X.0`" not in text
    assert claims.failures_markdown(_records([True])) == "Every recorded check is reproduced."


def test_checks_table_has_one_row_per_check_and_escapes_pipes():
    text = claims.checks_markdown(_records([True, False]))
    rows = text.splitlines()[2:]
    assert len(rows) == 2 and "✅ reproduced" in rows[0] and "❌ not reproduced" in rows[1]
    assert all(row.count("|") - row.count("\\|") == 6 for row in rows)   # 5 columns, pipes in text escaped


def test_paper_tables_transcribed_in_full_and_shown_beside_ours():
    for key in ("I", "II"):
        table = claims.PAPER_TABLES[key]
        assert list(table["rows"])[:10] == [f"alpha={a}" for a in range(10)] and "E[|X|]" in table["rows"]
        assert all(len(v) == len(table["columns"]) == 10 for v in table["rows"].values())
    text, ours = claims.table_markdown("I", {})
    assert ours is None and "0.090" in text and " / " not in text
    mine = {"columns": ["Q00"], "rows": {"alpha=0": [0.0871]}, "note": ""}
    text, ours = claims.table_markdown("I", {"nb": {"claims": [], "tables": {"I": mine}}})
    assert "0.090 / 0.0871" in text and ours is mine
    q_part, rv_part = text.split("\n\n")                      # two tables that fit the column: Q, then R and v
    assert q_part.splitlines()[0] == "| | Q00 | Q01 | Q10 | Q11 |" and rv_part.splitlines()[0].endswith("| v0 | v1 |")
    assert len(q_part.splitlines()) == len(rv_part.splitlines()) == 2 + len(claims.PAPER_TABLES["I"]["rows"])


# --------------------------------------------------------------------------------- chapters and parameters

def test_every_parameter_is_documented_and_matches_papermill(tmp_path):
    """The rerun page lists parameter_docs; those must be the names papermill (and lib.pipeline.run) accept."""
    import jupytext
    import papermill

    for stem in chapters.notebook_stems():
        docs = chapters.parameter_docs(stem)
        ipynb = tmp_path / f"{stem}.ipynb"
        jupytext.write(jupytext.read(chapters.source_path(stem)), ipynb)
        assert [p.name for p in docs] == list(papermill.inspect_notebook(str(ipynb))), stem
        undocumented = [p.name for p in docs if not p.meaning]
        assert not undocumented, f"{stem}: add a trailing comment to {undocumented} in its parameters cell"
        assert all(p.allowed for p in docs)


def test_profiles_only_set_existing_parameters():
    from lib.pipeline.profiles import PROFILES

    for profile, sets in PROFILES.items():
        for stem, values in sets.items():
            assert set(values) <= set(chapters.parameter_defaults(stem)), (profile, stem)


def _store_names(tree: ast.AST) -> set[str]:
    """Names bound at module level (not inside functions, classes or comprehensions)."""
    names, todo = set(), list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
                             ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return names


def test_claim_recording_notebooks_name_themselves_and_keep_their_parameters():
    """The record's fingerprint is computed from the parameter values at the end of the notebook: a
    notebook must not rebind a parameter after its parameters cell, or its record never matches."""
    import jupytext

    recording = [s for s in chapters.notebook_stems() if claims.records_claims(s)]
    assert {"02_hidden_manifold", "03_gaussian_mixtures", "05_lemmas"} <= set(recording)
    for stem in recording:
        text = chapters.source_path(stem).read_text()
        assert f'claims.Registry("{stem}"' in text, stem
        params = set(chapters.parameter_defaults(stem))
        nb = jupytext.read(chapters.source_path(stem))
        body = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
        rebound = params & _store_names(ast.parse("\n".join(body)))
        assert not rebound, f"{stem} rebinds parameter(s) {rebound}"


def test_every_notebook_is_in_the_table_of_contents():
    toc = (paths.ROOT / "_toc.yml").read_text()
    for stem in chapters.notebook_stems():
        assert f"notebooks/{stem}" in toc, f"{stem} is missing from _toc.yml (only_build_toc_files hides it)"


# ------------------------------------------------------------------------------------ book configuration

def test_book_serves_mathjax_from_the_build_and_sets_the_repository_once():
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text())
    sphinx = config["sphinx"]["config"]
    assert not re.match(r"https?://", sphinx["mathjax_path"]), "math must not come from a CDN"
    script = (paths.ROOT / "scripts" / "fetch_mathjax.sh").read_text()
    target = re.search(r'TARGET="\$VENDOR/([^"]+)"', script).group(1)
    vendor = re.search(r'VENDOR="([^"]+)"', script).group(1)
    static = Path(vendor) / Path(target).parent          # _vendor/static
    assert str(static) in sphinx["html_static_path"]
    assert sphinx["mathjax_path"] == f"{Path(target).name}/tex-mml-chtml.js"
    assert f"{vendor}/" in (paths.ROOT / ".gitignore").read_text()
    url = config["repository"]["url"]
    assert url.startswith("https://") and (paths.ROOT / "_config.yml").read_text().count(url) == 1
    # launch buttons only where they can work: Binder (binder/postBuild installs the package and makes jupytext
    # open the .py chapters as notebooks), not Colab (it cannot read a percent-format .py notebook)
    assert config["launch_buttons"]["binderhub_url"] in ("", "https://mybinder.org")
    assert not config["launch_buttons"]["binderhub_url"] or (paths.ROOT / "binder" / "postBuild").exists()
    assert not config["launch_buttons"]["colab_url"]


def test_citations_resolve_to_the_bibliography():
    bib = (paths.ROOT / "book" / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    cited = set()
    for path in [*paths.BOOK.glob("*.md"), *paths.NOTEBOOKS.glob("*.py")]:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", path.read_text()):
            cited.update(k.strip() for k in group.split(","))
    assert cited and cited <= keys, cited - keys


# ---------------------------------------------------------------------------------------------- schematic

def test_schematic_labels_fit_their_boxes_and_boxes_do_not_overlap():
    import matplotlib.pyplot as plt

    from lib.studies.schematic import draw_schematic, layout

    fig = draw_schematic()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    patches = {p.get_gid(): p.get_window_extent(renderer) for p in ax.patches if (p.get_gid() or "").startswith("box:")}
    texts = {t.get_gid(): t.get_window_extent(renderer) for t in ax.texts if t.get_gid()}
    boxes, _ = layout()
    assert set(texts) == {b.key for b in boxes} and len(patches) == len(boxes)
    for key, tb in texts.items():
        pb = patches[f"box:{key}"]
        assert pb.x0 < tb.x0 and tb.x1 < pb.x1 and pb.y0 < tb.y0 and tb.y1 < pb.y1, key   # label inside its box
    keys = sorted(patches)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not patches[a].overlaps(patches[b]), (a, b)
    fig_box = fig.bbox
    assert all(fig_box.x0 <= t.x0 and t.x1 <= fig_box.x1 for t in (x.get_window_extent(renderer) for x in ax.texts))
    assert ax.get_title() == "" and fig._suptitle is None      # captions come from the book
    words = " ".join(t.get_text() for t in ax.texts)
    for needed in ("latent", "teacher", "student", "SGD", "ODE", "tLog-RMSE", "D_{\\mathrm{KL}}"):
        assert needed in words, needed
    plt.close(fig)


# ------------------------------------------------------------------ one verdict, wherever it is shown

def _mixed_records():
    """Checks of several paper claims with every kind of outcome, spread over two chapters."""
    mk = lambda i, key, passed, **kw: claims.Claim(f"X.{i}", "IV", f"statement {i}", [1.5, 2.0], "< 1", passed,
                                                  paper_claim=key, notebook=kw.pop("nb", "nb1"), **kw)
    return {"nb1": {"claims": [mk(0, "1", True), mk(1, "1", False, aspect="level"), mk(2, "1", True, aspect="shape"),
                               mk(3, "2", True), mk(4, "4b", False, on_fail=claims.CONTRADICTED)], "tables": {}},
            "nb2": {"claims": [mk(5, "5", False, nb="nb2"), mk(6, "2c", False, tested=False, nb="nb2"),
                               mk(7, "3", True, nb="nb2")], "tables": {}}}


def test_report_and_landing_page_state_the_same_verdict_for_every_claim():
    """The report's claims table, the landing page's tally and its list of disagreements all give each paper claim
    the verdict its checks give by the rule (the chapters record those checks: test_a_check_gives_its_declared_verdict)."""
    records = _mixed_records()
    expected = {key: claims.claim_verdict([c for c in claims.all_claims(records) if c.paper_claim == key])
                for key in claims.PAPER_CLAIMS}
    assert expected["1"] == claims.IN_SHAPE and expected["4b"] == claims.CONTRADICTED
    assert expected["5"] == claims.NOT_REPRODUCED and expected["2c"] == claims.NOT_TESTED
    report = {row.split("|")[1].strip(): row.split("|")[-2].strip()
              for row in claims.paper_claims_markdown(records).splitlines()[2:]}
    assert report == {k: claims.verdict_mark(v) for k, v in expected.items()}
    landing = {}
    for line in claims.disagreements_markdown(records).splitlines():
        mark, key = re.match(r"- (.+?): \*\*claim (\S+)\*\*", line).groups()
        landing[key] = mark
    assert landing == {k: claims.verdict_mark(v) for k, v in expected.items() if v != claims.REPRODUCED}
    tally = claims.tally_markdown(records)
    for verdict in claims.VERDICTS:
        n = list(expected.values()).count(verdict)
        assert (f"**{n}** {claims.verdict_mark(verdict)}" in tally) == (n > 0), (verdict, tally)


def test_disagreements_name_the_failing_checks_with_their_numbers():
    text = claims.disagreements_markdown(_mixed_records(), per_claim=1)
    line = next(x for x in text.splitlines() if "**claim 1**" in x)
    assert "`X.1` measured 1.5, 2, needed < 1" in line and "`X.0`" not in line and "nb1" in line
    assert "No check could decide it" in next(x for x in text.splitlines() if "**claim 2c**" in x)
    records = _records([True])
    assert claims.disagreements_markdown({"nb": records["nb"]}).count("- ") == len(claims.PAPER_CLAIMS) - 1


def test_checks_table_marks_the_scale_each_verdict_rests_on():
    text = claims.checks_markdown(_mixed_records(), {"nb1": "paper", "nb2": "quick"})
    rows = text.splitlines()[2:]
    assert text.splitlines()[0].startswith("| check | scale |")
    assert [r.split("|")[2].strip() for r in rows] == ["paper"] * 5 + ["quick"] * 3


def test_a_library_check_is_recorded_with_its_own_verdict(out, tiny):
    from lib.measures.verdicts import Check

    book = claims.Registry(tiny, {"a": 1, "b": [1, 2], "seed": 0})
    for passed, on_fail, tested in [(True, claims.NOT_REPRODUCED, True), (False, claims.CONTRADICTED, True),
                                    (False, claims.NOT_REPRODUCED, True), (False, claims.NOT_REPRODUCED, False)]:
        check = Check(f"X.{passed}{on_fail}{tested}", passed, "s", 1.0, "t", on_fail=on_fail, tested=tested)
        assert book.add(check).verdict == check.verdict


def test_stability_table_lists_each_summary_and_its_unstable_checks(tmp_path):
    assert "No seed-stability summary" in claims.stability_markdown(tmp_path)
    summary = {"notebook": "04_mixture_dynamics", "profile": "quick", "n_seeds": 20, "unstable": ["IV.x"],
               "checks": {"IV.x": {"counts": {"reproduced": 17, "not tested": 3}}, "IV.y": {"counts": {"reproduced": 20}}}}
    (tmp_path / "04_mixture_dynamics.json").write_text(json.dumps(summary))
    row = claims.stability_markdown(tmp_path).splitlines()[2]
    assert "| quick | 20 | 2 |" in row and "`IV.x` (17 reproduced, 3 not tested)" in row


def test_every_chapter_that_records_checks_labels_its_checks_section():
    """The report links each check to the section of its chapter that computes it (``checks_link``): every
    chapter that opens a claims Registry carries the ``(checks-<stem>)=`` label, so no link falls back to the
    chapter's top."""
    from lib.core import paths

    recording = [p for p in sorted(paths.NOTEBOOKS.glob("*.py")) if "claims.Registry(" in p.read_text()]
    assert len(recording) >= 10
    missing = [p.stem for p in recording if f"(checks-{p.stem})=" not in p.read_text()]
    assert missing == []
    assert all(claims.checks_link(p.stem).startswith("{ref}") for p in recording)
