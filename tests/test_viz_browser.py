"""The backward-steps page in a real browser: headless Chromium, driven through chromedriver's W3C WebDriver API
(plain HTTP on localhost, standard library only).

Skipped, with the reason, when Chromium, chromedriver or a Graphviz renderer is missing, unless
``MICROGRADNET_REQUIRE_BROWSER=1`` (CI sets it), where a missing browser fails the test. ``make test``'s set-up
installs Chromium (``scripts/ensure-chromium.sh``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from microgradnet import Value
from viz import backward_steps, can_render

REQUIRE_ENV = "MICROGRADNET_REQUIRE_BROWSER"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,900"]
HOSTILE = "<!--<script>"


def _find(*names):
    for n in names:
        hit = shutil.which(n) or (n if os.path.isfile(n) and os.access(n, os.X_OK) else None)
        if hit:
            return hit
    return None


def _need(ok: bool, reason: str) -> None:
    if ok:
        return
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set)")
    pytest.skip(reason)


class WebDriver:
    """The few W3C WebDriver commands the test needs, over HTTP."""

    def __init__(self, url: str):
        self.url = url
        self.session = None

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read().decode())["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError(f"webdriver {method} {path}: {e.read().decode()[:500]}") from None

    def start(self, binary: str, profile: str) -> None:
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": binary, "args": FLAGS + [f"--user-data-dir={profile}"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def cmd(self, method: str, path: str, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def js(self, script: str, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def key(self, key: str) -> None:
        self.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})

    def quit(self) -> None:
        if self.session is not None:
            try:
                self.call("DELETE", f"/session/{self.session}")
            except (AssertionError, OSError):
                pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = _find("chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome")
    driver = _find("chromedriver", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
    _need(chromium is not None, "Chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    _need(driver is not None, "chromedriver is not installed (Debian: apt-get install chromium-driver)")
    port = _free_port()
    log = tmp_path_factory.mktemp("chromedriver") / "log.txt"
    proc = subprocess.Popen([driver, f"--port={port}", f"--log-path={log}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wd = WebDriver(f"http://127.0.0.1:{port}")
    try:
        for _ in range(100):
            try:
                if wd.call("GET", "/status").get("ready"):
                    break
            except (OSError, AssertionError):
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"chromedriver at {driver} did not become ready on port {port}")
        wd.start(chromium, str(tmp_path_factory.mktemp("profile")))
        yield wd
    finally:
        wd.quit()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def neuron():
    """micrograd's neuron o = tanh(x1·w1 + x2·w2 + b) with one hostile label; n = 0.8814 so 1 − o² = 0.5."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label=HOSTILE)
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


STATE = """var r=document.querySelector('.mgn-steps'),k=parseInt(r.getAttribute('data-frame'),10);
var f=r.querySelectorAll('.mgn-frame'),shown=[];f.forEach(function(x,i){if(x.style.display!=='none')shown.push(i);});
var svg=f[k].querySelector('svg').getBoundingClientRect(),view=r.querySelector('.mgn-view').getBoundingClientRect();
var texts=Array.prototype.map.call(f[k].querySelectorAll('svg text'),
 function(t){return t.textContent.replace(/\u00a0/g,' ').trim();});
return {frame:k,shown:shown,caption:r.querySelector('.mgn-title').textContent,slider:r.querySelector('input').value,
svg:[svg.width,svg.height],view:[view.width,view.height],texts:texts,win:[window.innerWidth,window.innerHeight]};"""


def test_the_steps_page_steps_with_the_keys_and_the_slider_and_fits_the_window(browser, tmp_path):
    _need(can_render("svg"), "no Graphviz renderer to draw the frames")
    steps = backward_steps(neuron())
    titles = steps.titles
    assert titles[0] == "start: ∂o/∂o = 1.0000"
    page = tmp_path / "steps.html"
    steps.save_html(page)
    browser.cmd("POST", "/url", {"url": page.as_uri()})

    s = browser.js(STATE)
    assert s["frame"] == 0 and s["shown"] == [0] and s["caption"] == titles[0]
    # the whole picture fits the window: the frame is scaled into the view, which fits the 1400×900 window
    assert 0 < s["svg"][0] <= s["view"][0] and 0 < s["svg"][1] <= s["view"][1]
    assert s["view"][0] <= s["win"][0] and s["view"][1] <= s["win"][1]
    assert HOSTILE in s["texts"]  # the label is drawn as typed, and the page's script survived it
    assert "grad —" in s["texts"]  # nothing has flowed back yet
    (tmp_path / "frame_first.png").write_bytes(base64.b64decode(browser.cmd("GET", "/screenshot")))

    browser.key("\ue014")  # ArrowRight
    browser.key("\ue014")
    s = browser.js(STATE)
    assert s["frame"] == 2 and s["shown"] == [2] and s["slider"] == "2" and s["caption"] == titles[2]
    # step 2 applies '+' at n: 1 − o² = 0.5 flows to b and to x1·w1 + x2·w2
    assert "∂o/∂b += ∂o/∂n · 1 = 0.5000 · 1.0000 = 0.5000" in s["caption"]

    last = len(titles) - 1
    browser.js("var s=document.querySelector('.mgn-steps input');s.value=arguments[0];"
               "s.dispatchEvent(new Event('input'));", last)
    s = browser.js(STATE)
    assert s["frame"] == last and s["shown"] == [last] and s["caption"] == titles[last]
    # the last step is x1·w1's: ∂o/∂w1 = 0.5 · x1 = 1 and ∂o/∂x1 = 0.5 · w1 = −1.5 (by hand, 1 − o² = 0.5)
    assert "∂o/∂w1 += ∂o/∂(x1·w1) · x1 = 0.5000 · 2.0000 = 1.0000" in s["caption"]
    assert "grad 1.0000" in s["texts"] and "grad -1.5000" in s["texts"]
    (tmp_path / "frame_last.png").write_bytes(base64.b64decode(browser.cmd("GET", "/screenshot")))

    browser.key("\ue012")  # ArrowLeft
    s = browser.js(STATE)
    assert s["frame"] == last - 1 and s["caption"] == titles[last - 1]
    shots = os.environ.get("MICROGRADNET_SCREENSHOTS")
    if shots:  # keep the screenshots for a person to look at
        for name in ("frame_first.png", "frame_last.png"):
            shutil.copy(tmp_path / name, os.path.join(shots, name))
