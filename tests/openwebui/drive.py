"""Drive Open WebUI in headless Debian Chromium: send one chat message, wait for the answer, screenshot.

Runs inside the Open WebUI venv (it has ``playwright``); started by tests/openwebui/test_openwebui.py.
Prints one JSON line: ``{"answer_seen": bool, "screenshot": path, "error": str | null}``.

    .venv-openwebui/bin/python tests/openwebui/drive.py URL PROMPT EXPECTED OUT.png
"""

from __future__ import annotations

import json
import sys

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 180_000


def drive(url: str, prompt: str, expected: str, out: str) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(url, timeout=TIMEOUT_MS)
            box = page.locator("#chat-input")
            box.wait_for(timeout=TIMEOUT_MS)
            page.keyboard.press("Escape")  # a first-run "what's new" dialog, if any
            box.click()
            page.keyboard.type(prompt)
            page.keyboard.press("Enter")
            page.get_by_text(expected).first.wait_for(timeout=TIMEOUT_MS)
            page.screenshot(path=out, full_page=True)
            return {"answer_seen": True, "screenshot": out, "error": None}
        except Exception as exc:  # report, with a screenshot of where it stopped
            page.screenshot(path=out, full_page=True)
            return {"answer_seen": False, "screenshot": out, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        finally:
            browser.close()


if __name__ == "__main__":
    print(json.dumps(drive(*sys.argv[1:5])))
