"""A headless Chromium driven over the DevTools protocol, for tests of pages that run scripts.

Debian's ``chromium`` package is the browser. It speaks the protocol over a pair of pipes
(``--remote-debugging-pipe``: it reads commands on fd 3 and writes replies on fd 4, each a
JSON message ended by a NUL byte), so no port, no WebSocket client and no driver program
are needed::

    with Browser(offline=True) as browser:
        page = browser.open("http://127.0.0.1:8000/docs/")
        page.wait_for_text("/auth/token", timeout=30)
        page.screenshot(path)

``offline=True`` makes every host other than 127.0.0.1 unresolvable, so a page that still
needs the internet fails visibly instead of quietly fetching from a CDN.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-pipe", "--window-size=1280,900",
)

# Finds ``text`` in the page, shadow roots included (RapiDoc and Elements are web
# components), and answers whether an element showing it is visible: rendered with a size,
# not hidden by CSS.
_FIND_VISIBLE_TEXT = """
(text) => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none' && box.width > 0 && box.height > 0;
  };
  const search = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.currentNode; node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) {
        if (node.textContent.includes(text) && visible(node.parentElement)) return true;
      } else if (node.shadowRoot && search(node.shadowRoot)) {
        return true;
      }
    }
    return false;
  };
  return search(document);
}
"""


def chromium() -> str | None:
    """The browser executable, None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _above_four(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, *, offline: bool = True, timeout: float = 60.0) -> None:
        executable = chromium()
        if executable is None:
            raise BrowserError("chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
        self._profile = tempfile.mkdtemp(prefix="bolt-chromium-")
        flags = [*FLAGS, f"--user-data-dir={self._profile}"]
        if offline:
            flags.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Above 3 and 4, so that renumbering one end cannot overwrite the other.
        to_browser_r, from_browser_w = (_above_four(fd) for fd in (to_browser_r, from_browser_w))
        self._process = subprocess.Popen(
            [executable, *flags, "about:blank"],
            # The protocol's fds: 3 is the browser's end of the command pipe, 4 of the replies.
            preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)),
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._buffer = b""
        self.console: list[str] = []
        self.failed_requests: list[str] = []
        self.requested: list[str] = []

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- the protocol ----------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are recorded."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self._timeout)
        while True:
            reply = self._read(deadline)
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply["result"]
            self._event(reply)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise BrowserError("the browser did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError("the browser exited")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _event(self, event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            self.console.append(params["exceptionDetails"].get("exception", {}).get("description", "exception"))
        elif method == "Network.loadingFailed":
            self.failed_requests.append(f"{params.get('errorText')} ({params.get('requestId')})")
        elif method == "Network.requestWillBeSent":
            self.requested.append(params["request"]["url"])

    # -- pages -----------------------------------------------------------------------------

    def open(self, url: str) -> "Page":
        """A new tab showing ``url``; ``console``, ``failed_requests`` and ``requested`` start empty."""
        self.requested, self.console, self.failed_requests = [], [], []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable", session=session)
        navigation = self.send("Page.navigate", {"url": url}, session=session)
        if navigation.get("errorText"):
            raise BrowserError(f"cannot open {url}: {navigation['errorText']}")
        return Page(self, session)


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text_is_visible(self, text: str) -> bool:
        return bool(self.evaluate(f"({_FIND_VISIBLE_TEXT})({json.dumps(text)})"))

    def wait_for_text(self, text: str, timeout: float) -> bool:
        """Whether ``text`` became visible within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.text_is_visible(text):
                return True
            time.sleep(0.25)
        return False

    def screenshot(self, path: Path) -> None:
        data = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
