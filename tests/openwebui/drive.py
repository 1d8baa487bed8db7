"""Drive Open WebUI in headless Debian Chromium: send one chat message, wait for the answer, screenshot.

Runs inside the Open WebUI venv (it has ``playwright``); started by tests/openwebui/check_openwebui.py.
After the answer it waits for each further text (the generated title, a follow-up suggestion) to show.
Prints one JSON line: ``{"answer_seen": bool, "also_seen": [str], "screenshot": path, "error": str | null}``.

    .venv-openwebui/bin/python tests/openwebui/drive.py URL PROMPT EXPECTED OUT.png [ALSO ...]
"""

from __future__ import annotations

import json
import sys

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 180_000


def drive(url: str, prompt: str, expected: str, out: str, also: list[str]) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    answer_seen = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(url, timeout=TIMEOUT_MS)
            box = page.locator("#chat-input")
            box.wait_for(timeout=TIMEOUT_MS)
            page.keyboard.press("Escape")  # a first-run "what's new" dialog, if any
            box.click()
            page.keyboard.type(prompt, delay=20)  # as a person types (autocomplete may fire)
            page.keyboard.press("Enter")
            page.get_by_text(expected).first.wait_for(timeout=TIMEOUT_MS)
            answer_seen = True
            for text in also:
                page.get_by_text(text).first.wait_for(timeout=TIMEOUT_MS)
                seen.append(text)
            page.screenshot(path=out, full_page=True)
            return {"answer_seen": True, "also_seen": seen, "screenshot": out, "error": None}
        except Exception as exc:  # report, with a screenshot of where it stopped
            page.screenshot(path=out, full_page=True)
            return {"answer_seen": answer_seen, "also_seen": seen, "screenshot": out,
                    "error": f"{type(exc).__name__}: {exc}"[:2000]}
        finally:
            browser.close()


if __name__ == "__main__":
    url, prompt, expected, out = sys.argv[1:5]
    print(json.dumps(drive(url, prompt, expected, out, sys.argv[5:])))
