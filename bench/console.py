"""The web console's budget (issue 16): first-load weight and the project list's time to interactive.

    python -m bench.console [--base http://127.0.0.1:8000] [--login vendor.admin] [--password ...] [--runs 5]

1. First-load weight, from the build (console/dist): index.html and every script, style and
   preloaded module it names, each gzipped as the gateway sends it; the budget is 1 MB.
2. With a running platform (`make run`; skipped when --base does not answer): Debian's Chromium
   opens /console/#/projects.manage signed in, and the time from navigation start until the
   project table has rendered its first page (rows or the empty state) is measured, cold (empty
   cache) and warm, with the bytes actually transferred as the browser reports them.
"""
from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import requests


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
BUDGET = 1_000_000


def first_load() -> tuple[int, int, list[tuple[str, int, int]]]:
    index = (DIST / "index.html").read_text()
    names = ["index.html"] + [n.lstrip("/").removeprefix("console/")
                              for n in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', index)]
    rows = []
    for name in names:
        body = (DIST / name).read_bytes()
        rows.append((name, len(body), len(gzip.compress(body, 6))))
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


def time_to_interactive(base: str, login: str, password: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    tokens = requests.post(f"{base}/api/v1/auth/login", json={"login_name": login, "password": password},
                           timeout=15)
    tokens.raise_for_status()
    script = f"localStorage.setItem('console.tokens', JSON.stringify({tokens.text}))"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        for label, fresh in (("cold", True), ("warm", False)):
            context = browser.new_context()
            context.add_init_script(script)
            page = context.new_page()
            page.goto(f"{base}/console/")  # warm the origin and the cache for the warm runs
            page.wait_for_selector("[data-testid=menu]")
            times, transferred = [], []
            for _ in range(runs):
                if fresh:
                    page.close()
                    context.clear_cookies()
                    context.close()
                    context = browser.new_context()
                    context.add_init_script(script)
                    page = context.new_page()
                started = time.perf_counter()
                page.goto(f"{base}/console/#/projects.manage")
                page.wait_for_selector("[data-testid=project-table] .ant-table-tbody tr")
                page.wait_for_selector("[data-testid=project-table] .ant-spin-spinning", state="detached")
                times.append(time.perf_counter() - started)
                transferred.append(page.evaluate(
                    "performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
                    ".reduce((s, e) => s + (e.transferSize || 0), 0)"))
            total = page.evaluate("fetch('/api/v1/projects?limit=1', {headers: {Authorization: 'Bearer ' + "
                                  "JSON.parse(localStorage.getItem('console.tokens')).access_token}})"
                                  ".then(r => r.json()).then(d => d.total)")
            out(f"project list interactive ({label}, {total} projects visible): "
                  f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
                  f"transferred {statistics.median(transferred) / 1024:.0f} KiB")
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--login", default="vendor.admin")
    parser.add_argument("--password", default="Demo2026pass")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    raw, zipped, rows = first_load()
    for name, size, small in rows:
        out(f"  {name:45} {size / 1024:8.1f} KiB  gzip {small / 1024:7.1f} KiB")
    verdict = "within" if zipped <= BUDGET else "OVER"
    out(f"first load: {raw / 1024:.0f} KiB, {zipped / 1024:.0f} KiB compressed ({verdict} the 1 MB budget)")
    try:
        requests.get(f"{args.base}/health", timeout=3).raise_for_status()
    except requests.RequestException:
        out(f"no platform at {args.base}: start it with `make run` to time the project list")
        return
    time_to_interactive(args.base, args.login, args.password, args.runs)


if __name__ == "__main__":
    main()
