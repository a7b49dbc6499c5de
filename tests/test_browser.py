"""The built book in a real browser, read as a reader reads it, at a normal window width.

Headless Chromium (Debian package ``chromium``) is driven over the Chrome DevTools Protocol with tornado's
websocket client (already installed with Jupyter), so no browser-automation package is needed. The pages
are served from ``_build/html`` by a local HTTP server (fonts may not load from ``file://`` URLs); the browser
runs with background networking off. A screenshot of each page (the whole page) goes to
``_output/screenshots/`` (git-ignored).

Each page fails on any of (all its defects are listed in one message):
- a console error, an uncaught exception or a failed load;
- a request to any host other than the local server (every request the page makes is recorded);
- an image that does not load, or math that MathJax did not typeset offline;
- the same image twice in the page (same address, or same bytes): a figure shown once without and once with
  its caption;
- an image wider than the text column: drawn past the column's right edge, or so wide (more than
  ``style.MAX_WIDTH_IN`` inches at the book's ``style.DPI``) that the column shrinks its labels below ~9 pt;
- a table whose last column lies outside the column (the reader would have to scroll to see it);
- a code cell shown to the reader that only presents (plots, glues, displays a table): such cells belong
  hidden (``remove-input``); the parameters cell, the library calls and the claim checks stay visible;
- an unresolved placeholder in the text: a literal MyST role (``{glue:text}``, ``{glue``, ``{numref}``...),
  a backticked name left in the prose, inline code naming one of the chapter's parameters or glue keys
  (such as "p < `level`"), a "hook:" line, or "nan".

Skips, with the reason, when there is no built book or no chromium binary, unless ``HMM_REQUIRE_BROWSER=1``:
then it fails instead, so that CI (``.ci/run`` installs chromium, builds the book and sets it) cannot pass
without reading the pages. Build the book first (``make book``), then ``make browser-test``.
"""
from __future__ import annotations

import ast
import asyncio
import base64
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = Path(os.environ.get("HMM_OUTPUT_DIR", ROOT / "_output")) / "screenshots"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
# Sphinx and Jupyter Book pages, not the generated index/search pages
PAGES = sorted(str(p.relative_to(HTML)) for d in ("book", "notebooks") for p in (HTML / d).glob("*.html")) \
    if HTML.is_dir() else []

# the browser tests skip without a built book or a browser (fail under HMM_REQUIRE_BROWSER=1, as in CI); the
# checks' own tests (at the end) always run
needs_browser = pytest.mark.usefixtures("built_book")
REQUIRED = os.environ.get("HMM_REQUIRE_BROWSER", "") not in ("", "0")


def _unavailable(reason: str):
    """Skip for want of a book or a browser, or fail where they are required (CI)."""
    if REQUIRED:
        pytest.fail(f"HMM_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)

# 1400 px: the window width at which the book's text column is about 784 px (the width style.py designs for)
WIDTH, HEIGHT = 1400, 1000
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}",
         "--force-device-scale-factor=1", "--remote-debugging-port=0"]
SHOT_MAX_HEIGHT = 16_000  # full-page screenshots, cut at this many CSS pixels

# Runs in the page after its load event: waits for MathJax's first typeset and for every image, then reports.
PROBE = r"""(async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => (i.complete && i.naturalWidth > 0) ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 5000); })));
  const math = Array.from(document.querySelectorAll('span.math, div.math'));
  const external = Array.from(document.querySelectorAll('script[src], link[rel=stylesheet][href], img[src]'))
      .map(e => e.src || e.href).filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'));
  // the text column: the article's content box
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const box = article.getBoundingClientRect(), cs = getComputedStyle(article);
  const column = {left: box.left + parseFloat(cs.paddingLeft), right: box.right - parseFloat(cs.paddingRight)};
  column.width = column.right - column.left;
  const describe = e => {
    const fig = e.closest('figure, .cell, section');
    const cap = fig && fig.querySelector('figcaption, .caption-number, h1, h2, h3');
    return cap ? cap.textContent.trim().replace(/\s+/g, ' ').slice(0, 80) : '';
  };
  const shown = imgs.filter(i => article.contains(i)).map(i => {
    const r = i.getBoundingClientRect();
    return {src: i.currentSrc || i.src, natural: i.naturalWidth, width: r.width, left: r.left, right: r.right,
            where: describe(i)};
  });
  const tables = Array.from(article.querySelectorAll('table')).map(t => {
    const rights = Array.from(t.rows).map(row => row.cells.length ?
        row.cells[row.cells.length - 1].getBoundingClientRect().right : -Infinity);
    const head = t.rows.length ? Array.from(t.rows[0].cells).map(c => c.textContent.trim()).join(' | ') : '';
    return {right: Math.max(...rights, -Infinity), head: head.slice(0, 100), where: describe(t)};
  });
  // code cells whose input a reader sees (remove-input cells are not in the page; hide-input ones are folded)
  const code = Array.from(article.querySelectorAll('.cell_input'))
      .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
      .map(e => ({code: (e.querySelector('pre') || e).textContent, where: describe(e)}));
  // the text a reader sees, without code cells' input (code, not prose) and without MathJax's markup
  const clone = article.cloneNode(true);
  clone.querySelectorAll('.cell_input, mjx-container, script, style').forEach(e => e.remove());
  // inline code in the prose, with the words around it (to tell "parameter `x`" from "p < `x`")
  const inline = Array.from(clone.querySelectorAll('code'))
      .filter(c => !c.closest('pre, a, .highlight, .cell_output, table'))
      .map(c => {
        const block = c.closest('p, li, dd, td, th, figcaption') || c.parentNode;
        const before = document.createRange(), after = document.createRange();
        before.setStart(block, 0); before.setEndBefore(c);
        after.setStartAfter(c); after.setEnd(block, block.childNodes.length);
        return {code: c.textContent.trim(), before: before.toString().slice(-60), after: after.toString().slice(0, 30)};
      });
  return {
    mathjax: mj && mj.version ? mj.version : null,
    math: math.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
    containers: document.querySelectorAll('mjx-container').length,
    merror: document.querySelectorAll('mjx-merror').length,
    merrors: Array.from(document.querySelectorAll('mjx-merror')).map(e => (e.getAttribute('data-mjx-error') || '') + ' @ ' + ((e.closest('mjx-container') || {}).parentElement || {}).textContent?.slice(0, 200)),
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
    external: external,
    title: document.title,
    column: column,
    shown: shown,
    tables: tables,
    code: code,
    text: clone.textContent,
    inline: inline,
  };
})()"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class CDP:
    """A minimal Chrome DevTools Protocol client on one page target."""

    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    async def _read(self, timeout: float) -> dict:
        msg = await asyncio.wait_for(self.ws.read_message(), timeout)
        if msg is None:
            raise ConnectionError("DevTools connection closed")
        return json.loads(msg)

    async def send(self, method: str, timeout: float = 30, **params) -> dict:
        self.next_id += 1
        ident = self.next_id
        await self.ws.write_message(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = await self._read(timeout)
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    async def wait_for(self, method: str, timeout: float = 30) -> dict:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            msg = await self._read(max(deadline - time.monotonic(), 0.01))
            if msg.get("method") == method:
                return msg
            self.events.append(msg)


def console_errors(events: list[dict]) -> list[str]:
    """Errors among the collected DevTools events: console.error/assert, uncaught exceptions, failed loads."""
    out = []
    for ev in events:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            if e.get("url", "").endswith("/favicon.ico"):  # the browser asks the server root on its own; the
                continue                                   # book has no icon (no committed image files)
            out.append(f"log: {e.get('text', '')} {e.get('url', '')}".strip())
    return out


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Start headless Chromium with a fresh profile; yield its DevTools HTTP endpoint."""
    if CHROMIUM is None:
        _unavailable("no chromium binary (apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    endpoint, deadline, seen = None, time.monotonic() + 30, []
    while time.monotonic() < deadline and endpoint is None:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        m = re.search(r"DevTools listening on ws://([^/]+)/", line)
        endpoint = f"http://{m.group(1)}" if m else None
    if endpoint is None:
        proc.kill()
        _unavailable("chromium did not start: " + "".join(seen)[-500:])
    # keep draining stderr so chromium never blocks on a full pipe
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield endpoint
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)


async def _inspect(endpoint: str, url: str, shot: Path) -> tuple[dict, list[str], list[str]]:
    """Open ``url`` in a fresh tab; return the probe's report, the console errors, and every URL requested."""
    from tornado.websocket import websocket_connect

    req = urllib.request.Request(f"{endpoint}/json/new?about:blank", method="PUT")
    target = json.loads(urllib.request.urlopen(req, timeout=10).read())
    ws = await websocket_connect(target["webSocketDebuggerUrl"], max_message_size=256 * 2**20)
    try:
        cdp = CDP(ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            await cdp.send(f"{domain}.enable")
        await cdp.send("Page.navigate", url=url)
        await cdp.wait_for("Page.loadEventFired", timeout=60)
        res = await cdp.send("Runtime.evaluate", expression=PROBE, awaitPromise=True, returnByValue=True, timeout=60)
        if "exceptionDetails" in res:
            raise RuntimeError(f"probe failed on {url}: {res['exceptionDetails']}")
        report = res["result"]["value"]
        await asyncio.sleep(0.3)  # let late console messages and requests arrive
        await cdp.send("Runtime.evaluate", expression="1")
        requested = [ev["params"]["request"]["url"] for ev in cdp.events
                     if ev.get("method") == "Network.requestWillBeSent"]
        errors = console_errors(cdp.events)
        shot.parent.mkdir(parents=True, exist_ok=True)
        # the whole page: a window as tall as the page (cut at SHOT_MAX_HEIGHT), as wide as the test's window
        size = (await cdp.send("Page.getLayoutMetrics"))["cssContentSize"]
        await cdp.send("Emulation.setDeviceMetricsOverride", width=WIDTH, deviceScaleFactor=1, mobile=False,
                       height=int(min(max(size["height"], HEIGHT), SHOT_MAX_HEIGHT)))
        await cdp.send("Runtime.evaluate", expression="new Promise(r => requestAnimationFrame(() => r(1)))",
                       awaitPromise=True)
        png = await cdp.send("Page.captureScreenshot", timeout=60, format="png")
        shot.write_bytes(base64.b64decode(png["data"]))
        return report, errors, requested
    finally:
        ws.close()
        urllib.request.urlopen(f"{endpoint}/json/close/{target['id']}", timeout=10).read()


# ------------------------------------------------------------------------------------------- the checks
# Pure functions of the probe's report, so they are tested below without a browser.

PLACEHOLDERS = [
    (re.compile(r"\{(?:glue|numref|doc|ref|eq|cite|download|term)(?::\w+)?\}"), "an unresolved MyST role"),
    (re.compile(r"\{glue"), "a glue reference left as text"),
    (re.compile(r"`[^`\s]{1,60}`"), "a backticked name left in the prose"),
    (re.compile(r"hook:", re.I), "a 'hook:' left in the text"),
    (re.compile(r"(?<![\w.])nan(?![\w])", re.I), "'nan' shown to the reader"),
]


def external_requests(requested: list[str], origin: str) -> list[str]:
    """Requested URLs outside the book: another host than ``origin`` (for a file:// page, anything not a file);
    data:, blob: and about: URLs stay in the page."""
    out = []
    for u in requested:
        scheme = urllib.parse.urlsplit(u).scheme
        if scheme in ("data", "blob", "about"):
            continue
        if origin == "file://" and scheme == "file":
            continue
        if origin != "file://" and (u == origin or u.startswith(origin + "/")):
            continue
        out.append(u)
    return out


def _image_bytes(src: str, origin: str) -> bytes | None:
    """The bytes of a shown image: from the build folder (served or file://) or from a data: URL."""
    if src.startswith("data:"):
        head, _, data = src.partition(",")
        return base64.b64decode(data) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(data)
    parts = urllib.parse.urlsplit(src)
    if parts.scheme == "file":
        path = Path(urllib.parse.unquote(parts.path))
    elif origin != "file://" and src.startswith(origin + "/"):
        path = HTML / urllib.parse.unquote(parts.path).lstrip("/")
    else:
        return None
    return path.read_bytes() if path.is_file() else None


def duplicated_images(shown: list[dict], origin: str, read=_image_bytes) -> list[str]:
    """Images shown more than once in the page: the same address, or the same bytes under two addresses."""
    out, by_src, by_hash = [], {}, {}
    for img in shown:
        src = img["src"]
        label = src if not src.startswith("data:") else src[:40] + "..."
        if src in by_src:
            out.append(f"the same image twice: {label} ({img['where'] or by_src[src]})")
            continue
        by_src[src] = img["where"]
        data = read(src, origin)
        if data is None:
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in by_hash:
            out.append(f"the same image bytes twice: {label} and {by_hash[digest]} ({img['where']})")
        else:
            by_hash[digest] = label
    return out


def wide_images(shown: list[dict], column: dict, dpi: float, max_width_in: float) -> list[str]:
    """Images drawn past the column's right edge, or wider than ``max_width_in`` at ``dpi`` (shrunk so much by
    the column that their labels fall below ~9 pt)."""
    out = []
    for img in shown:
        label = img["src"].rsplit("/", 1)[-1][:60] + (f" ({img['where']})" if img["where"] else "")
        if img["right"] > column["right"] + 1:
            out.append(f"image past the column's right edge by {img['right'] - column['right']:.0f} px: {label}")
        inches = img["natural"] / dpi
        if inches > max_width_in:
            out.append(f"image {inches:.1f} in wide (> {max_width_in:g} in at {dpi:g} dpi), shown at "
                       f"{100 * img['width'] / img['natural']:.0f}% of its size: {label}")
    return out


def tables_outside(tables: list[dict], column: dict) -> list[str]:
    """Tables whose last column ends right of the text column."""
    return [f"table's last column ends {t['right'] - column['right']:.0f} px right of the column: "
            f"[{t['head']}]" + (f" ({t['where']})" if t["where"] else "")
            for t in tables if t["right"] > column["right"] + 1]


PRESENTING_ROOTS = {"plt", "fig", "ax", "axes", "figures", "figs"}          # objects that only draw
PRESENTING_CALLS = {"glue", "display", "Markdown", "HTML", "savefig", "close", "show"}


def _dotted(func: ast.AST) -> list[str]:
    """``a.b.c(...)`` -> ["a", "b", "c"] (the call's function as its chain of names)."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Call):
        return _dotted(func.func) + list(reversed(parts))
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return list(reversed(parts))


def _presents(call: ast.AST) -> bool:
    """A call that only draws, glues or displays: plt/fig/ax methods, a figures module's function,
    ``*_figure``/``plot_*`` functions, ``glue``, ``display``, ``Markdown``, ``savefig``."""
    if not isinstance(call, ast.Call):
        return False
    names = _dotted(call.func)
    if not names:
        return False
    last = names[-1]
    return (names[0] in PRESENTING_ROOTS or last in PRESENTING_CALLS or last.endswith("_figure")
            or last.startswith("plot_"))


def _statement_kind(node: ast.stmt) -> str:
    """'present' (draws, glues, displays), 'neutral' (imports, pass) or 'work' (anything else)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
        return "neutral"
    if isinstance(node, ast.Expr):
        return "present" if _presents(node.value) else "work"
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return "present" if _presents(node.value) else "work"
    if isinstance(node, (ast.For, ast.If, ast.With)):
        kinds = {_statement_kind(n) for n in node.body + getattr(node, "orelse", [])}
        return "present" if kinds <= {"present", "neutral"} and "present" in kinds else "work"
    return "work"


def presenting_cells(cells: list[dict]) -> list[str]:
    """Code cells shown to the reader whose every statement only draws, glues or displays (a figure, a glued
    number, a table): they belong hidden (``remove-input``). ``cells``: {code, where}. Code that does not
    parse (a shell line, a magic) is left alone."""
    out = []
    for c in cells:
        try:
            body = ast.parse(c["code"]).body
        except SyntaxError:
            continue
        kinds = {_statement_kind(n) for n in body}
        if "present" in kinds and kinds <= {"present", "neutral"}:
            first = " ".join(c["code"].strip().splitlines()[0].split())[:70]
            out.append(f"a code cell that only plots, glues or displays is shown: `{first}`"
                       + (f" ({c['where']})" if c["where"] else ""))
    return out


def placeholders(text: str, inline: list[dict], names: set[str]) -> list[str]:
    """Unresolved placeholders in the text a reader sees (code cells' input excluded): literal roles, backticked
    names, 'hook:', 'nan'; and inline code that names one of the chapter's parameters or glue keys where a
    value belongs ("p < `level`", "`far` times the margin"). Naming a parameter as a parameter ("parameter
    `measure`", "the `activations` parameter") is not a placeholder. ``inline``: {code, before, after}."""
    out = []
    for pattern, what in PLACEHOLDERS:
        for m in pattern.finditer(text):
            context = " ".join(text[max(m.start() - 40, 0):m.end() + 40].split())
            out.append(f"{what}: ...{context}...")
    for c in inline:
        if c["code"] not in names:
            continue
        if "parameter" in c["before"][-60:].lower() or c["after"].lstrip().lower().startswith("parameter"):
            continue
        context = " ".join((c["before"][-40:] + "`" + c["code"] + "`" + c["after"]).split())
        out.append(f"inline code where a value belongs (a parameter or glue key of the chapter): ...{context}...")
    return out


def chapter_names(page: str) -> set[str]:
    """The parameters (the cell tagged ``parameters``) and glue keys of the chapter behind ``page``."""
    names: set[str] = set()
    glue = ROOT / "_build" / "jupyter_execute" / Path(page).with_suffix(".glue.json")
    if glue.is_file():
        names |= set(json.loads(glue.read_text()))
    source = ROOT / Path(page).with_suffix(".py")
    if source.is_file():
        cell = re.search(r"^# %% tags=\[\"parameters\"\]\n(.*?)(?=^# %%)", source.read_text(), re.M | re.S)
        if cell:
            for node in ast.walk(ast.parse(cell.group(1))):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


def page_defects(report: dict, errors: list[str], requested: list[str], origin: str, names: set[str],
                 has_math: bool, read=_image_bytes) -> list[str]:
    """Every defect of one page, as readable lines."""
    from lib.studies import style

    out = list(errors)
    out += [f"request outside the local server: {u}" for u in external_requests(requested, origin)]
    out += [f"resource from outside the build: {u}" for u in report["external"]]
    out += [f"image did not load: {u}" for u in report["broken"]]
    if has_math:
        if not (report["mathjax"] and report["mathjax"].startswith("3.")):
            out.append(f"MathJax 3 not loaded: {report['mathjax']}")
        out += [f"math not typeset: {m}" for m in report["untypeset"][:5]]
        out += [f"MathJax error: {m}" for m in report.get("merrors", [])[:5]]
    out += duplicated_images(report["shown"], origin, read)
    out += wide_images(report["shown"], report["column"], style.DPI, style.MAX_WIDTH_IN)
    out += tables_outside(report["tables"], report["column"])
    out += presenting_cells(report.get("code", []))
    out += placeholders(report["text"], report["inline"], names)
    return out


# ------------------------------------------------------------------------------------------- the tests

@pytest.fixture(scope="module")
def built_book():
    if not (HTML / "index.html").exists():
        _unavailable("no built book in _build/html (run `make book`)")
    if CHROMIUM is None:
        _unavailable("no chromium binary (apt-get install -y chromium)")


@needs_browser
@pytest.mark.parametrize("page", PAGES or ["(none)"])
def test_page_reads_well(page, server, browser):
    """Every page: no defect of the list in the module docstring (all of a page's defects in one message)."""
    if page == "(none)":
        _unavailable("no pages under _build/html/book or _build/html/notebooks")
    shot = SHOTS / (page.replace("/", "__").removesuffix(".html") + ".png")
    report, errors, requested = asyncio.run(_inspect(browser, f"{server}/{page}", shot))
    has_math = 'class="math' in (HTML / page).read_text()
    defects = page_defects(report, errors, requested, server, chapter_names(page), has_math)
    assert not defects, f"{page} (text column {report['column']['width']:.0f} px):\n  " + "\n  ".join(defects)
    if has_math:
        assert report["math"] > 0 and report["containers"] >= report["math"]
    assert shot.stat().st_size > 10_000  # a real screenshot, not an empty page


@needs_browser
def test_root_redirects_to_the_introduction_with_its_figure(server, browser):
    """index.html forwards to the introduction, which renders its schematic figure and typeset math."""
    assert 'url=book/intro.html' in (HTML / "index.html").read_text()
    report, errors, requested = asyncio.run(_inspect(browser, f"{server}/book/intro.html", SHOTS / "index.png"))
    assert not errors, errors
    assert not external_requests(requested, server)
    # a figure in the text (not a button's icon), and it loads
    assert report["shown"] and not report["broken"], (report["shown"], report["broken"])
    assert report["containers"] > 0, report["untypeset"][:5]


@needs_browser
def test_reads_from_disk_without_a_server(browser):
    """Offline reading straight from the files (file://): math typeset, images load, no console errors, no
    request leaves the disk."""
    page = HTML / "book" / "intro.html"
    if not page.exists():
        _unavailable("no introduction page in the build")
    report, errors, requested = asyncio.run(_inspect(browser, page.as_uri(), SHOTS / "intro-from-disk.png"))
    assert not errors, errors
    assert not external_requests(requested, "file://"), requested
    assert report["mathjax"] and report["containers"] >= report["math"] > 0 and not report["untypeset"], \
        (report["mathjax"], report["math"], report["containers"], report["untypeset"][:5])
    # a figure in the text (not a button's icon), and it loads
    assert report["shown"] and not report["broken"], (report["shown"], report["broken"])


# The checks themselves, on made-up reports (no browser needed).

COLUMN = {"left": 300, "right": 1084, "width": 784}


def _img(src, natural=700, width=700, right=1000, where=""):
    return {"src": src, "natural": natural, "width": width, "left": right - width, "right": right, "where": where}


def test_check_duplicated_images_by_address_and_by_bytes():
    origin = "http://127.0.0.1:1"
    files = {f"{origin}/_images/a.png": b"A", f"{origin}/_images/b.png": b"B", f"{origin}/_images/c.png": b"A"}
    read = lambda src, _origin: files.get(src)  # noqa: E731
    assert duplicated_images([_img(f"{origin}/_images/a.png"), _img(f"{origin}/_images/b.png")], origin, read) == []
    twice = duplicated_images([_img(f"{origin}/_images/a.png"), _img(f"{origin}/_images/a.png")], origin, read)
    assert len(twice) == 1 and "a.png" in twice[0]
    same = duplicated_images([_img(f"{origin}/_images/a.png"), _img(f"{origin}/_images/c.png")], origin, read)
    assert len(same) == 1 and "bytes" in same[0]
    png = "data:image/png;base64," + base64.b64encode(b"X").decode()
    assert len(duplicated_images([_img(png), _img(png)], origin)) == 1                    # one address twice
    assert len(duplicated_images([_img(png), _img("data:image/png,X")], origin)) == 1     # one content twice


def test_check_wide_images_and_tables():
    assert wide_images([_img("a.png", natural=1050, width=784, right=1084)], COLUMN, 110, 10) == []
    wide = wide_images([_img("w.png", natural=1650, width=784, right=1084)], COLUMN, 110, 10)
    assert len(wide) == 1 and "15.0 in" in wide[0] and "48%" in wide[0]
    past = wide_images([_img("p.png", natural=900, width=900, right=1200)], COLUMN, 110, 10)
    assert len(past) == 1 and "116 px" in past[0]
    assert tables_outside([{"right": 1080, "head": "a | b", "where": ""}], COLUMN) == []
    out = tables_outside([{"right": 1300, "head": "check | result", "where": "Every check"}], COLUMN)
    assert len(out) == 1 and "216 px" in out[0] and "check | result" in out[0]


def test_check_placeholders():
    clean = "The gap shrinks as 1/N (slope -0.98); the mean is finite and p < 0.05. Nano-scale, tanh, nanny."
    named = [{"code": "measure", "before": "a short measurement (parameter ", "after": "); that"},
             {"code": "activations", "before": "every further activation of the ", "after": " parameter, on"},
             {"code": "make book", "before": "run ", "after": ""}]
    assert placeholders(clean, named, {"level", "N", "measure", "activations"}) == []
    leftover = [{"code": "level", "before": "(paired one-sided t-test over the same runs, p< ", "after": ")."}]
    found = placeholders("p < {glue:text}`level` and a nan here; hook: book.table(x); rest `level`; {numref}`x`",
                         leftover, {"level"})
    kinds = " ".join(found)
    for what in ("unresolved MyST role", "glue reference", "backticked name", "hook:", "'nan'", "p< `level`"):
        assert what in kinds, (what, found)
    assert placeholders("NaN in a row", [], set()) and placeholders("values: nan, 1.0", [], set())


def test_check_presenting_cells():
    def cell(code):
        return {"code": code, "where": ""}

    shown = [cell('fig = study.gap_figure(gaps, samples, ratio)\nstyle.savefig(fig, "gep_gap")\n'
                  'glue("gep_gap_fig", fig, display=False)'),
             cell('glue("fig3", figures.plot_example(ex, "fig3"), display=False)'),
             cell("display(Markdown(study.knn_table(tables, alphas, ms)))"),
             cell("Markdown(claims.checks_markdown(records))"),
             cell('for g in ["erf", "relu"]:\n    glue(f"slope_{g}", f"{fits[g]:.2f}", display=False)'),
             cell('if False in standardize:\n    glue("fig4", figures.plot_vgap(sw, "fig4", m), display=False)'),
             cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])")]
    found = presenting_cells(shown)
    assert len(found) == len(shown), found
    assert "gap_figure" in found[0] and "plot_example" in found[1]
    work = [cell("f = 'sgn'   # parameters\nN = 1000"),
            cell("ii1, v1 = study.remainders(pairs, eps_values, alpha=alpha, m=m, seed=seed)"),
            cell("fits = study.convergence_fits(data)\ndisplay(Markdown(study.slope_table(fits)))"),
            cell("book = claims.Registry('02', globals())\nassert book.check('x', True), 1"),
            cell("import numpy as np\nfrom myst_nb import glue"),
            cell("!make book"),
            cell("print(page.summary())")]
    assert presenting_cells(work) == []


def test_check_requests_stay_on_the_local_server():
    origin = "http://127.0.0.1:8000"
    ok = [f"{origin}/book/intro.html", f"{origin}/_static/x.js", "data:font/woff2;base64,AA", "about:blank"]
    assert external_requests(ok, origin) == []
    bad = ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", "http://127.0.0.1:9000/x.js"]
    assert external_requests(ok + bad, origin) == bad
    assert external_requests(["file:///x/book/intro.html", "https://fonts.example/f.woff"], "file://") == \
        ["https://fonts.example/f.woff"]
