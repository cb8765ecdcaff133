"""Builds the docs site and renders pages of it to PNG in headless Chromium.

    .venv/bin/python tools/render_docs.py [--out DIR] [PAGE ...]

PAGE is a site path such as ``reference/transforms/`` (default: the home page
and the transforms reference). Needs the ``docs`` extra and a Chromium
(Debian: ``apt-get install chromium``). Look at the PNGs before calling a docs
change done: a strict build catches broken references, not broken layout.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_PAGES = ["", "reference/transforms/"]
BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


def build(site: pathlib.Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's banner about its future
    )


def serve(site: pathlib.Path) -> http.server.HTTPServer:
    """Serves ``site`` on a free localhost port, in a daemon thread."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def screenshot(browser: str, url: str, png: pathlib.Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: no first-run state
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespace to sandbox in
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--virtual-time-budget=5000",  # let the theme's scripts run first
                f"--screenshot={png}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    if not png.is_file():
        raise RuntimeError(f"{browser} wrote no screenshot of {url}")


def main(argv: list[str] | None = None) -> list[pathlib.Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", default=DEFAULT_PAGES)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("/tmp/docs_shots"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        sys.exit("no Chromium found: install Debian's chromium package (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    pngs = []
    with tempfile.TemporaryDirectory() as tmp:
        site = pathlib.Path(tmp) / "site"
        build(site)
        server = serve(site)
        try:
            for page in args.pages:
                name = page.strip("/").replace("/", "-") or "home"
                png = args.out / f"{name}.png"
                url = f"http://127.0.0.1:{server.server_port}/{page.lstrip('/')}"
                screenshot(browser, url, png, args.width, args.height)
                print(png)
                pngs.append(png)
        finally:
            server.shutdown()
    return pngs


if __name__ == "__main__":
    main()
