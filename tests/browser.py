"""What a page that convkata writes looks like in a real browser: headless Chromium, for the tests.

    page = render(path, name=request.node.name)   # one Chromium launch, about a second
    assert not page.problems(), page.problems()

``render`` loads a local HTML file (``file://``, the page itself unchanged, its relative files
beside it) at a window width, waits for the load event, its fonts and images, and returns a
``Page``: the facts a script measured in the page — every image (loaded? natural and rendered
size, blank?), every table (wider than its container or the viewport? scrolling inside?), the
document's width against the viewport's, the elements that stick out of the viewport, the visible
text — and the requests it made and the script errors it raised. With ``name`` it also writes a
full-page screenshot and the facts to ``test-artifacts/browser/<name>.png`` and ``.json`` (the folder
is ``$CONVKATA_TEST_ARTIFACTS/browser``, ignored by git) for CI to keep.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: its fds 3 and
4), so one launch both measures and takes the screenshot, with nothing but the standard library.
Image files next to a page are read through ``--allow-file-access-from-files``, so their pixels can
be inspected as a data: URI's are. Where no Chromium is installed, ``chromium()`` (and so ``render``)
skips the test and says how to install it (``make test`` does, as root on Debian).
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.core.paths import REPO_ROOT

#: The binaries tried in turn; CONVKATA_CHROMIUM names another.
NAMES = ("chromium", "chromium-browser", "google-chrome")
SKIP_REASON = "headless Chromium not installed: run `make test` as root, or apt-get install chromium"
#: A render takes about a second; this only stops a hung browser.
TIMEOUT_SECONDS = 60.0


def artifacts_dir() -> Path:
    """Where the browser tests leave their screenshots: ``$CONVKATA_TEST_ARTIFACTS/browser``, by
    default ``test-artifacts/browser`` at the repository's root."""
    return Path(os.environ.get("CONVKATA_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts") / "browser"


def find_chromium() -> str | None:
    """The path of headless Chromium's binary, or None."""
    chosen = os.environ.get("CONVKATA_CHROMIUM")
    for name in (chosen,) if chosen else NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium() -> str:
    """The path of Chromium's binary; skips the test that asks when there is none."""
    path = find_chromium()
    if path is None:
        pytest.skip(SKIP_REASON)
    return path


@dataclass
class Page:
    """The facts measured in the page (``facts``: the JSON the script returned, see FACTS_SCRIPT),
    with what the browser saw happen while it loaded."""

    url: str
    facts: dict[str, Any]
    requests: list[dict[str, Any]] = field(default_factory=list)  # {"url", "failed": error text or None}
    errors: list[str] = field(default_factory=list)  # uncaught exceptions and console.error messages
    screenshot: Path | None = None

    @property
    def images(self) -> list[dict[str, Any]]:
        return self.facts["images"]

    @property
    def tables(self) -> list[dict[str, Any]]:
        return self.facts["tables"]

    @property
    def document(self) -> dict[str, Any]:
        return self.facts["document"]

    @property
    def text(self) -> str:
        return self.facts["text"]

    def image_problems(self) -> list[str]:
        problems = []
        for image in self.images:
            what = f"image {image['src']!r}"
            if not image["loaded"]:
                problems.append(f"{what} did not load")
            elif image["blank"] is None:
                problems.append(f"{what}: its pixels could not be read ({image['pixels_error']})")
            elif image["blank"]:
                problems.append(f"{what} is blank (every pixel the colour {image['background']})")
            if image["loaded"] and not image["visible"]:
                problems.append(f"{what} is not shown ({image['box']['width']:g}×{image['box']['height']:g} px)")
        return problems

    def layout_problems(self) -> list[str]:
        problems = []
        for table in self.tables:
            what = f"table {table['index']} ({table['columns']} columns, {table['box']['width']:g} px wide)"
            if table["overflows_container"] and not table["container_scrolls"]:
                problems.append(f"{what} overflows its container {table['container']} "
                                f"({table['container_box']['width']:g} px wide)")
            if table["overflows_viewport"]:
                problems.append(f"{what} sticks out of the {self.document['client_width']} px viewport")
            if table["scrolls"]:
                problems.append(f"{what} scrolls inside ({table['scroll_width']} px of content in "
                                f"{table['client_width']} px)")
        if self.document["scrolls_horizontally"]:
            wide = ", ".join(f"{e['element']} (right edge {e['right']:g})" for e in self.facts["wide_elements"])
            problems.append(f"the page scrolls horizontally: {self.document['scroll_width']} px of content in a "
                            f"{self.document['client_width']} px viewport; sticking out: {wide or 'none found'}")
        return problems

    def problems(self) -> list[str]:
        """What is wrong to the eye: images that did not load, are blank or hidden, tables wider than
        their container or the viewport, a page that scrolls sideways. Empty when none."""
        return self.image_problems() + self.layout_problems()


def render(page: str | Path, *, name: str | None = None, screenshot: str | Path | None = None,
           width: int = 1280, height: int = 800, timeout: float = TIMEOUT_SECONDS) -> Page:
    """Load the HTML file ``page`` in headless Chromium with a ``width``×``height`` viewport and
    measure it. ``name`` (a test's name) saves a full-page screenshot and the facts (JSON) in
    ``artifacts_dir()`` as ``<name>.png`` and ``<name>.json``; ``screenshot`` (a PNG path) puts the
    screenshot there instead, or alone without ``name``. ``timeout``: for the whole render."""
    binary = chromium()
    url = Path(page).resolve().as_uri()
    if name is not None and screenshot is None:
        screenshot = artifacts_dir() / f"{_file_name(name)}.png"
    with tempfile.TemporaryDirectory(prefix="convkata-chromium-") as profile, _Browser(binary, profile, width, height,
                                                                                        timeout) as browser:
        session = browser.open_page()
        for domain in ("Page", "Runtime", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Page.setLifecycleEventsEnabled", session=session, enabled=True)
        browser.call("Emulation.setDeviceMetricsOverride", session=session,
                     width=width, height=height, deviceScaleFactor=1, mobile=False)
        navigated = browser.call("Page.navigate", session=session, url=url)
        if navigated.get("errorText"):
            raise RuntimeError(f"Chromium could not open {url}: {navigated['errorText']}")
        browser.wait_for(session, "Page.lifecycleEvent", name="load", loaderId=navigated["loaderId"])
        evaluated = browser.call("Runtime.evaluate", session=session, expression=FACTS_SCRIPT,
                                 awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in evaluated:
            raise RuntimeError(f"the facts script failed in {url}: {_exception_text(evaluated['exceptionDetails'])}")
        result = Page(url, evaluated["result"]["value"], browser.requests(), browser.errors)
        if screenshot is not None:
            document = result.document
            shot = browser.call("Page.captureScreenshot", session=session, format="png", captureBeyondViewport=True,
                                clip={"x": 0, "y": 0, "width": max(document["scroll_width"], width),
                                      "height": max(document["scroll_height"], height), "scale": 1})
            result.screenshot = Path(screenshot)
            result.screenshot.parent.mkdir(parents=True, exist_ok=True)
            result.screenshot.write_bytes(base64.b64decode(shot["data"]))
    if name is not None:
        facts = {"url": url, **result.facts, "requests": result.requests, "errors": result.errors,
                 "problems": result.problems()}
        artifacts_dir().mkdir(parents=True, exist_ok=True)
        (artifacts_dir() / f"{_file_name(name)}.json").write_text(json.dumps(facts, indent=1, ensure_ascii=False),
                                                                  encoding="utf-8")
    return result


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:150] or "page"


def _exception_text(details: dict) -> str:
    return details.get("exception", {}).get("description") or details.get("text", "?")


class _Browser:
    """One headless Chromium, spoken to over the DevTools protocol on a pipe: JSON messages ended by
    a NUL byte, written to its fd 3 and read from its fd 4."""

    def __init__(self, binary: str, profile: str, width: int, height: int, timeout: float):
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.errors: list[str] = []
        self._requests: dict[str, dict[str, Any]] = {}
        self._events: list[dict] = []
        self._buffer = b""
        self._ids = 0
        self._log = open(Path(profile) / "chromium.log", "w+b")  # closed in __exit__
        browser_reads, we_write = _pipe()
        we_read, browser_writes = _pipe()
        argv = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-pipe", "--allow-file-access-from-files", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--window-size={width},{height}", "about:blank"]
        # A Python trampoline moves the pipe's ends to fds 3 and 4 (subprocess keeps fds, it does not
        # move them; dash's redirections stop at fd 9) and becomes Chromium.
        try:
            self.process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(browser_reads),
                                             str(browser_writes), *argv],
                                            pass_fds=(browser_reads, browser_writes), stdin=subprocess.DEVNULL,
                                            stdout=self._log, stderr=self._log, start_new_session=True)
        except BaseException:
            for end in (we_write, we_read):
                os.close(end)
            self._log.close()
            raise
        finally:
            os.close(browser_reads)
            os.close(browser_writes)
        self._write, self._read = we_write, we_read

    def __enter__(self) -> _Browser:
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self._send("Browser.close", {})
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)  # its session: the browser and its helpers
            self.process.wait()
        os.close(self._write)
        os.close(self._read)
        self._log.close()

    def open_page(self) -> str:
        """A new tab, attached: the session id its commands go to."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        return self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def call(self, method: str, session: str | None = None, **params) -> dict:
        number = self._send(method, params, session)
        while True:
            message = self._next()
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"Chromium: {method} failed: {message['error']}")
                return message["result"]
            self._events.append(message)

    def wait_for(self, session: str, event: str, **params) -> dict:
        """The first ``event`` of ``session`` (seen already or next) whose parameters include ``params``."""
        while True:
            for number, message in enumerate(self._events):
                if (message.get("method") == event and message.get("sessionId") == session
                        and all(message["params"].get(key) == value for key, value in params.items())):
                    del self._events[number]
                    return message["params"]
            self._events.append(self._next())

    def requests(self) -> list[dict[str, Any]]:
        return list(self._requests.values())

    def _send(self, method: str, params: dict, session: str | None = None) -> int:
        self._ids += 1
        message = {"id": self._ids, "method": method, "params": params, **({"sessionId": session} if session else {})}
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write, data):]
        return self._ids

    def _next(self) -> dict:
        """The next message from the browser; the ones the page's life reports are noted on the way."""
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            ready = select.select([self._read], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                raise TimeoutError(f"headless Chromium did not answer within {self.timeout:g} s{self._log_tail()}")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError(f"headless Chromium ended (exit status {self.process.poll()}){self._log_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        self._note(message.get("method"), message.get("params", {}))
        return message

    def _note(self, method: str | None, params: dict) -> None:
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            self._requests[params["requestId"]] = {"url": url if len(url) <= 120 else url[:117] + "...", "failed": None}
        elif method == "Network.loadingFailed" and params["requestId"] in self._requests:
            self._requests[params["requestId"]]["failed"] = params.get("errorText") or "failed"
        elif method == "Runtime.exceptionThrown":
            self.errors.append(_exception_text(params["exceptionDetails"]))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))

    def _log_tail(self) -> str:
        self._log.flush()
        self._log.seek(0)
        tail = self._log.read().decode(errors="replace").strip()[-2000:]
        return f"; its output:\n{tail}" if tail else ""


_TRAMPOLINE = ("import os, sys\n"
               "for source, target in ((int(sys.argv[1]), 3), (int(sys.argv[2]), 4)):\n"
               "    os.dup2(source, target)\n"
               "    os.close(source)\n"
               "os.execv(sys.argv[3], sys.argv[3:])\n")


def _pipe() -> tuple[int, int]:
    """A pipe (read end, write end) whose ends sit above fd 9 (so that neither is 3 or 4), closed on exec."""
    ends = []
    for end in os.pipe():
        ends.append(fcntl.fcntl(end, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(end)
    return ends[0], ends[1]


#: Run in the page once it has loaded; resolves to the facts (JSON): ``title``, ``viewport``, ``document``
#: (scroll_width against client_width: ``scrolls_horizontally``), ``images``, ``tables``, ``wide_elements``
#: (the outermost elements past the viewport's right edge) and ``text`` (body.innerText). Positions are
#: in CSS pixels from the document's top left corner; the viewport's width is the document element's
#: clientWidth (less a scroll bar). An image is blank when no pixel differs from its commonest colour by
#: more than 16 (of 255) in a channel (measured on a copy at most 1024 px on its long side); ``ink`` is
#: the share of the pixels that do. A table's container is its nearest block ancestor; inside a box
#: that scrolls or clips sideways (``clipped``) it cannot stick out of the viewport, and wider than a
#: container that scrolls (``container_scrolls``) is the reader's to scroll, not a problem.
FACTS_SCRIPT = r"""
(async () => {
  if (document.readyState !== "complete") await new Promise(done => addEventListener("load", done, {once: true}));
  if (document.fonts) await document.fonts.ready;
  await Promise.all([...document.images].map(image => image.decode().catch(() => null)));
  const root = document.documentElement;
  const viewport = {width: root.clientWidth, height: root.clientHeight};
  const round = value => Math.round(value * 10) / 10;
  const box = element => {
    const r = element.getBoundingClientRect();
    return {left: round(r.left + scrollX), top: round(r.top + scrollY), right: round(r.right + scrollX),
            bottom: round(r.bottom + scrollY), width: round(r.width), height: round(r.height)};
  };
  const contentBox = element => {
    const b = box(element), s = getComputedStyle(element);
    const left = b.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft);
    const right = b.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight);
    return {left: round(left), right: round(right), width: round(right - left)};
  };
  const name = element => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + [...element.classList].slice(0, 3).map(c => "." + c).join("");
  const container = element => {
    let parent = element.parentElement;
    while (parent && parent !== root && getComputedStyle(parent).display.startsWith("inline")) parent = parent.parentElement;
    return parent || root;
  };
  const scrollable = element => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(element).overflowX);
  const clipped = element => {  // inside a box that scrolls or clips sideways (not the page's own html or body)
    for (let parent = element.parentElement; parent && parent !== document.body && parent !== root;
         parent = parent.parentElement) if (scrollable(parent)) return true;
    return false;
  };
  const shown = element => {
    const s = getComputedStyle(element), b = element.getBoundingClientRect();
    return s.display !== "none" && s.visibility !== "hidden" && parseFloat(s.opacity) > 0 && b.width > 0 && b.height > 0;
  };
  const pixels = image => {
    const scale = Math.min(1, 1024 / Math.max(image.naturalWidth, image.naturalHeight));
    const w = Math.max(1, Math.round(image.naturalWidth * scale)), h = Math.max(1, Math.round(image.naturalHeight * scale));
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const context = canvas.getContext("2d", {willReadFrequently: true});
    context.drawImage(image, 0, 0, w, h);
    let data;
    try { data = context.getImageData(0, 0, w, h).data; } catch (error) { return {error: String(error)}; }
    const counts = new Map();
    let commonest = 0, most = 0;
    const words = new Uint32Array(data.buffer);
    for (const word of words) {
      const count = (counts.get(word) || 0) + 1;
      counts.set(word, count);
      if (count > most) { most = count; commonest = word; }
    }
    const background = [commonest & 255, (commonest >>> 8) & 255, (commonest >>> 16) & 255, commonest >>> 24];
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - background[0]) > 16 || Math.abs(data[i + 1] - background[1]) > 16
          || Math.abs(data[i + 2] - background[2]) > 16 || Math.abs(data[i + 3] - background[3]) > 16) ink++;
    }
    return {ink: ink / (w * h), colours: counts.size, background};
  };
  const images = [...document.images].map((image, index) => {
    const source = image.currentSrc || image.src;
    const kind = source.startsWith("data:") ? "data" : source.split(":")[0];
    const loaded = image.complete && image.naturalWidth > 0;
    const read = loaded ? pixels(image) : {};
    return {index, src: source.length > 120 ? source.slice(0, 117) + "..." : source, kind, alt: image.alt,
            complete: image.complete, loaded, natural_width: image.naturalWidth, natural_height: image.naturalHeight,
            box: box(image), visible: shown(image),
            blank: loaded && !read.error ? read.ink === 0 : null, ink: read.ink ?? null,
            colours: read.colours ?? null, background: read.background ?? null, pixels_error: read.error ?? null};
  });
  const tables = [...document.querySelectorAll("table")].map((table, index) => {
    const b = box(table), parent = container(table), inside = contentBox(parent), inBox = clipped(table);
    return {index, element: name(table), rows: table.rows.length,
            columns: Math.max(0, ...[...table.rows].map(row => row.cells.length)), box: b,
            scroll_width: table.scrollWidth, client_width: table.clientWidth,
            scrolls: table.scrollWidth > table.clientWidth + 1,
            container: name(parent), container_box: inside,
            container_scrolls: parent !== document.body && parent !== root && scrollable(parent), clipped: inBox,
            overflows_container: b.left < inside.left - 0.5 || b.right > inside.right + 0.5,
            overflows_viewport: !inBox && (b.left < -0.5 || b.right > viewport.width + 0.5)};
  });
  const sticking = [...document.body.querySelectorAll("*")].filter(element => {
    const b = element.getBoundingClientRect();
    return b.width > 0 && b.right + scrollX > viewport.width + 0.5 && !clipped(element);
  });
  const outermost = sticking.filter(element => !sticking.includes(element.parentElement));
  return {
    title: document.title,
    viewport,
    document: {scroll_width: root.scrollWidth, scroll_height: root.scrollHeight, client_width: viewport.width,
               client_height: viewport.height, scrolls_horizontally: root.scrollWidth > viewport.width},
    images, tables,
    wide_elements: outermost.slice(0, 20).map(element => ({element: name(element), right: box(element).right})),
    text: document.body.innerText,
  };
})()
"""
