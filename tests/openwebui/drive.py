"""Drive Open WebUI in headless Debian Chromium: send chat messages, wait for what should show, screenshot.

Runs inside the Open WebUI venv (it has ``playwright``); started by tests/openwebui/check_openwebui.py.
TURNS is a JSON list of ``{"prompt": str, "expect": [str, ...]}``: each prompt is typed into the chat
box and sent, then each expected text (the answer, the generated title, a follow-up suggestion) must show.
Prints one JSON line: ``{"seen": [str], "screenshot": path, "error": str | null}``.

    .venv-openwebui/bin/python tests/openwebui/drive.py URL OUT.png TURNS
"""

from __future__ import annotations

import json
import sys

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 180_000


def drive(url: str, out: str, turns: list[dict[str, object]]) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        try:
            page.goto(url, timeout=TIMEOUT_MS)
            box = page.locator("#chat-input")
            box.wait_for(timeout=TIMEOUT_MS)
            page.keyboard.press("Escape")  # a first-run "what's new" dialog, if any
            for turn in turns:
                box.click()
                page.keyboard.type(str(turn["prompt"]), delay=20)  # as a person types
                page.keyboard.press("Enter")
                for text in turn["expect"]:  # type: ignore[attr-defined]
                    page.get_by_text(str(text)).first.wait_for(timeout=TIMEOUT_MS)
                    seen.append(str(text))
            page.screenshot(path=out, full_page=True)
            return {"seen": seen, "screenshot": out, "error": None}
        except Exception as exc:  # report, with a screenshot of where it stopped
            page.screenshot(path=out, full_page=True)
            return {"seen": seen, "screenshot": out, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        finally:
            browser.close()


if __name__ == "__main__":
    print(json.dumps(drive(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))))
