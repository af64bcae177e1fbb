#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol for the web view's browser test.

Usage: live_page.py URL WANT SCREENSHOT

Opens URL in a real browser, prints "LIVE" once the page says its event stream is connected, then
watches the DOM (no reload) until the recent sessions list contains WANT, noting whether a session
in flight was ever shown. Saves a screenshot and prints one JSON line with what it saw.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client, from PyPI

url, want, screenshot = sys.argv[1:4]
profile = tempfile.mkdtemp(prefix="scenedrop-chromium-")
browser = shutil.which("chromium") or shutil.which("chromium-browser")
process = subprocess.Popen(
    [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + profile,
     "--window-size=1280,1400", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile, "chromium.log"), "w"))


def fail(message):
    print(json.dumps({"error": message}), flush=True)
    process.kill()
    sys.exit(1)


try:
    deadline = time.time() + 60
    port = None
    targets = None
    while targets is None:
        if time.time() > deadline:
            fail("chromium did not open its DevTools port")
        try:
            # The port file can appear (half written, or from the previous bind) before the port
            # answers: both are read again until the target list comes back.
            port = open(os.path.join(profile, "DevToolsActivePort")).read().split("\n")[0]
            targets = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port, timeout=10))
        except (OSError, ValueError):
            time.sleep(0.1)
    page = next(t for t in targets if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
    next_id = [0]

    def call(method, **params):
        next_id[0] += 1
        ws.send(json.dumps({"id": next_id[0], "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == next_id[0]:
                if "error" in message:
                    fail("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def evaluate(expression):
        result = call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    call("Page.enable")
    call("Page.navigate", url=url)
    probe = """JSON.stringify({
        connection: (document.getElementById('connection') || {}).textContent || '',
        queue: (document.getElementById('queue') || {}).innerText || '',
        sessions: (document.getElementById('sessions') || {}).innerText || '',
        marker: window.__sceneDropMarker || null,
        navigations: performance.getEntriesByType('navigation').length })"""
    deadline = time.time() + 60
    while True:
        state = json.loads(evaluate(probe) or "{}")
        if state.get("connection") == "live":
            break
        if time.time() > deadline:
            fail("the page never said its event stream is live: %r" % state)
        time.sleep(0.05)
    # A marker on this page's window: a reload would lose it.
    evaluate("window.__sceneDropMarker = 'same page'")
    print("LIVE", flush=True)

    saw_in_flight = False
    queue_seen = []
    deadline = time.time() + 120
    while True:
        state = json.loads(evaluate(probe) or "{}")
        if "scene 1:" in state.get("queue", ""):
            saw_in_flight = True
            if state["queue"] not in queue_seen:
                queue_seen.append(state["queue"])
        if want in state.get("sessions", ""):
            break
        if time.time() > deadline:
            fail("%r never appeared in the recent sessions: %r" % (want, state))
        time.sleep(0.05)
    # Let the previews load before the picture is taken.
    deadline = time.time() + 30
    while not evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)") and time.time() < deadline:
        time.sleep(0.1)
    shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    with open(screenshot, "wb") as out:
        out.write(base64.b64decode(shot["data"]))
    load_ms = evaluate("performance.getEntriesByType('navigation')[0].duration")
    print(json.dumps({"load_ms": load_ms, "saw_in_flight": saw_in_flight, "queue_seen": queue_seen[:5], "marker": state.get("marker"),
                      "sessions": state.get("sessions", "")[:2000], "images": evaluate("document.images.length")}), flush=True)
finally:
    process.kill()
    process.wait()
    shutil.rmtree(profile, ignore_errors=True)
