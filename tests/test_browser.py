"""The built book in a real browser: every image loads, math is typeset offline, no console errors.

Headless Chromium (Debian package ``chromium``) is driven over the Chrome DevTools Protocol with tornado's
websocket client (already installed with Jupyter), so no browser-automation package is needed. The pages
are served from ``_build/html`` by a local HTTP server (fonts may not load from ``file://`` URLs); the browser
runs with background networking off, so anything the pages fetch from outside the build fails and shows up
as a console error. A screenshot of each page goes to ``_output/screenshots/`` (git-ignored).

Skips, with the reason, when there is no built book or no chromium binary: CI without either passes.
Build the book first (``make book``), then ``make browser-test``.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
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

pytestmark = [
    pytest.mark.skipif(not (HTML / "index.html").exists(), reason="no built book in _build/html (run `make book`)"),
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install -y chromium)"),
]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--hide-scrollbars", "--window-size=1280,1000", "--remote-debugging-port=0"]

# Runs in the page after its load event: waits for MathJax's first typeset and for every image, then reports.
PROBE = """(async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => (i.complete && i.naturalWidth > 0) ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 5000); })));
  const math = Array.from(document.querySelectorAll('span.math, div.math'));
  const external = Array.from(document.querySelectorAll('script[src], link[rel=stylesheet][href], img[src]'))
      .map(e => e.src || e.href).filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'));
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
        pytest.skip("chromium did not start: " + "".join(seen)[-500:])
    # keep draining stderr so chromium never blocks on a full pipe
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield endpoint
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)


async def _inspect(endpoint: str, url: str, shot: Path) -> tuple[dict, list[str]]:
    from tornado.websocket import websocket_connect

    req = urllib.request.Request(f"{endpoint}/json/new?about:blank", method="PUT")
    target = json.loads(urllib.request.urlopen(req, timeout=10).read())
    ws = await websocket_connect(target["webSocketDebuggerUrl"], max_message_size=64 * 2**20)
    try:
        cdp = CDP(ws)
        for domain in ("Page", "Runtime", "Log"):
            await cdp.send(f"{domain}.enable")
        await cdp.send("Page.navigate", url=url)
        await cdp.wait_for("Page.loadEventFired", timeout=60)
        res = await cdp.send("Runtime.evaluate", expression=PROBE, awaitPromise=True, returnByValue=True, timeout=60)
        if "exceptionDetails" in res:
            raise RuntimeError(f"probe failed on {url}: {res['exceptionDetails']}")
        report = res["result"]["value"]
        await asyncio.sleep(0.3)  # let late console messages arrive
        await cdp.send("Runtime.evaluate", expression="1")
        shot.parent.mkdir(parents=True, exist_ok=True)
        png = await cdp.send("Page.captureScreenshot", format="png")
        shot.write_bytes(base64.b64decode(png["data"]))
        return report, console_errors(cdp.events)
    finally:
        ws.close()
        urllib.request.urlopen(f"{endpoint}/json/close/{target['id']}", timeout=10).read()


@pytest.mark.parametrize("page", PAGES or ["(none)"])
def test_page_renders_offline(page, server, browser):
    if page == "(none)":
        pytest.skip("no pages under _build/html/book or _build/html/notebooks")
    shot = SHOTS / (page.replace("/", "__").removesuffix(".html") + ".png")
    report, errors = asyncio.run(_inspect(browser, f"{server}/{page}", shot))
    assert not errors, errors
    assert not report["external"], f"resources from outside the build: {report['external']}"
    assert not report["broken"], f"images that did not load: {report['broken']}"
    source = (HTML / page).read_text()
    if 'class="math' in source:
        assert report["mathjax"] and report["mathjax"].startswith("3."), report["mathjax"]
        assert report["math"] > 0 and not report["untypeset"], report["untypeset"][:5]
        assert report["containers"] >= report["math"] and report["merror"] == 0, report.get("merrors")
    assert shot.stat().st_size > 10_000  # a real screenshot, not an empty page


def test_root_redirects_to_the_introduction_with_its_figure(server, browser):
    """index.html forwards to the introduction, which renders its schematic figure and typeset math."""
    assert 'url=book/intro.html' in (HTML / "index.html").read_text()
    report, errors = asyncio.run(_inspect(browser, f"{server}/book/intro.html", SHOTS / "index.png"))
    assert not errors, errors
    assert report["images"] >= 1 and not report["broken"], report
    assert report["containers"] > 0, report


def test_reads_from_disk_without_a_server(browser):
    """Offline reading straight from the files (file://): math typeset, images load, no console errors."""
    page = HTML / "book" / "intro.html"
    if not page.exists():
        pytest.skip("no introduction page in the build")
    report, errors = asyncio.run(_inspect(browser, page.as_uri(), SHOTS / "intro-from-disk.png"))
    assert not errors, errors
    assert report["mathjax"] and report["containers"] >= report["math"] > 0 and not report["untypeset"], report
    assert report["images"] >= 1 and not report["broken"], report
