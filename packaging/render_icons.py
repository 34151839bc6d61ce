"""Render the app icon's PNG, ICO and ICNS files from the one SVG, with Qt offscreen.

Run after editing `resources/icons/perps-desktop.svg`, then commit what it writes:

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

It writes `resources/icons/perps-desktop-<N>.png` (N = 16, 32, 64, 128, 256), `perps-desktop.ico`
(Windows executable icon) and `perps-desktop.icns` (macOS bundle icon) beside the SVG, and copies
the SVG and the PNGs into `perps_desktop/resources/icons/` so the running program can set its
window icon from package data.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = ROOT / "resources" / "icons"
PKG_DIR = ROOT / "perps_desktop" / "resources" / "icons"
NAME = "perps-desktop"
SIZES = (16, 32, 64, 128, 256)
# ICNS chunk types holding PNG data, by pixel size (Apple's icns format).
_ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08"}


def render(renderer: QSvgRenderer, size: int) -> bytes:
    """One square PNG of the SVG at `size` pixels, antialiased, transparent outside the shape."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        raise RuntimeError(f"could not encode the {size}px PNG")
    buf.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNG-compressed images (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns made of PNG chunks."""
    body = b"".join(_ICNS_TYPES[s] + struct.pack(">I", 8 + len(p)) + p for s, p in sorted(pngs.items()))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs one
    svg = SRC_DIR / f"{NAME}.svg"
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        print(f"render_icons: {svg} is not a valid SVG", file=sys.stderr)
        return 1
    pngs = {size: render(renderer, size) for size in SIZES}
    PKG_DIR.mkdir(parents=True, exist_ok=True)
    for size, png in pngs.items():
        for folder in (SRC_DIR, PKG_DIR):
            (folder / f"{NAME}-{size}.png").write_bytes(png)
    (SRC_DIR / f"{NAME}.ico").write_bytes(ico(pngs))
    (SRC_DIR / f"{NAME}.icns").write_bytes(icns(pngs))
    shutil.copyfile(svg, PKG_DIR / f"{NAME}.svg")
    print(f"render_icons: wrote {len(SIZES)} PNGs, .ico and .icns to {SRC_DIR.relative_to(ROOT)}, "
          f"copied the icon set to {PKG_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
