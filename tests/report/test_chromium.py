"""Headless Chromium loads the report of each stack without console errors and screenshots it."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install -y chromium; make tools); CI installs it",
    ),
]

WINDOW = (1400, 3000)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def console_lines(stderr: str) -> list[str]:
    """Chromium's --enable-logging=stderr writes page console messages as '...:CONSOLE:N] "text", source: ...'
    (and uncaught exceptions as such a line with "Uncaught ..."). The page has no script, so any is an error."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def screenshot(html: str, tmp: Path) -> tuple[Path, str]:
    page = tmp / "report.html"
    page.write_text(html, encoding="utf-8")
    png = tmp / "report.png"
    argv = [
        shutil.which("chromium") or "chromium",
        "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
        "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
        f"--screenshot={png}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
        page.as_uri(),
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return png, result.stderr


def test_console_line_detection_sees_errors(tmp_path: Path) -> None:
    """The check below is only worth something if a broken page is caught."""
    _, stderr = screenshot("<html><body><script>undefinedFunction();</script></body></html>", tmp_path)
    assert any("Uncaught ReferenceError" in line for line in console_lines(stderr)), stderr[-2000:]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_chromium_loads_the_report_without_console_errors(
    stack: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    request.getfixturevalue(f"{stack}_plan")  # evaluated once per session
    html: str = request.getfixturevalue(f"{stack}_html")
    png, stderr = screenshot(html, tmp_path)
    assert console_lines(stderr) == []
    assert png_size(png) == WINDOW
    assert png.stat().st_size > 50_000, "the screenshot is (nearly) blank"
