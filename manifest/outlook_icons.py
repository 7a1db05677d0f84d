"""Draws the Outlook add-in's PNG icons: the favicon's envelope on draftlint's blue.

Run once from the repository root (`python manifest/outlook_icons.py`); the PNGs it writes are
committed, so nothing at runtime needs an image library. Pure standard library: a 4x4-supersampled
rasteriser of the shapes in server/static/favicon.svg (32x32 view box), written as RGBA PNGs.

- server/static/outlook/icon-{16,32,64,80,128}.png: the ribbon button and the add-in's icon,
  referenced by URL from both manifests.
- manifest/outlook-color.png (192x192) and manifest/outlook-outline.png (32x32, white on
  transparent): the two icons the unified manifest names by relative path inside its app package.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLUE = (0x0F, 0x6C, 0xBD)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4
ROOT = Path(__file__).resolve().parent.parent


def _segment_distance(px, py, ax, ay, bx, by) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    cx, cy = ax + t * dx, ay + t * dy
    return ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5


# The favicon's strokes, in its 32x32 view box: the envelope's outline and its flap.
STROKES = [
    (7, 10, 25, 10),
    (25, 10, 25, 22),
    (25, 22, 7, 22),
    (7, 22, 7, 10),
    (7, 10, 16, 17),
    (16, 17, 25, 10),
]


def _on_stroke(x: float, y: float) -> bool:
    return any(_segment_distance(x, y, *segment) <= 1.0 for segment in STROKES)


def _in_rounded_square(x: float, y: float, radius: float = 6.0) -> bool:
    cx = min(max(x, radius), 32 - radius)
    cy = min(max(y, radius), 32 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius


def draw(size: int, *, outline: bool = False) -> bytes:
    """RGBA rows: blue square with a white envelope, or (outline) a white envelope alone."""
    scale = 32 / size
    rows = []
    for row in range(size):
        line = bytearray([0])  # filter type 0 for this scanline
        for col in range(size):
            white = blue = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (col + (sx + 0.5) / SAMPLES) * scale
                    y = (row + (sy + 0.5) / SAMPLES) * scale
                    if _on_stroke(x, y):
                        white += 1
                    elif not outline and _in_rounded_square(x, y):
                        blue += 1
            covered = white + blue
            if covered == 0:
                line += bytes((0, 0, 0, 0))
                continue
            rgb = [
                round((w * white + b * blue) / covered) for w, b in zip(WHITE, BLUE, strict=True)
            ]
            line += bytes((*rgb, round(255 * covered / SAMPLES**2)))
        rows.append(bytes(line))
    return b"".join(rows)


def png(size: int, *, outline: bool = False) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    pixels = zlib.compress(draw(size, outline=outline), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def main() -> None:
    static = ROOT / "server" / "static" / "outlook"
    static.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 64, 80, 128):
        (static / f"icon-{size}.png").write_bytes(png(size))
    (ROOT / "manifest" / "outlook-color.png").write_bytes(png(192))
    (ROOT / "manifest" / "outlook-outline.png").write_bytes(png(32, outline=True))


if __name__ == "__main__":
    main()
