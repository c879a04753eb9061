# Draws Outpost's app icon (navy tile, white ring, amber beacon) as PNGs with only the
# standard library. Kept beside the icons so they can be redrawn: python3 make_icons.py
import math, struct, zlib, sys, os

NAVY = (18, 53, 91)
WHITE = (255, 255, 255)
AMBER = (245, 166, 35)

def pixel(x, y, n):
    # Coordinates in units of the icon (0..1), centre at 0.5.
    u, v = (x + 0.5) / n - 0.5, (y + 0.5) / n - 0.5
    r = math.hypot(u, v)
    if 0.19 <= r <= 0.29:            # the ring: an outpost's perimeter
        return WHITE
    if r <= 0.085:                   # the beacon at its centre
        return AMBER
    # Three signal arcs to the upper right, inside the safe zone.
    ang = math.atan2(-v, u)
    if 0.35 <= r <= 0.39 and 0.25 < ang < 1.32:
        return WHITE
    return NAVY

def render(n, ss=4):
    rows = []
    for y in range(n):
        row = bytearray([0])
        for x in range(n):
            acc = [0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = pixel(x * ss + sx, y * ss + sy, n * ss)
                    for i in range(3):
                        acc[i] += c[i]
            row += bytes(int(a / (ss * ss) + 0.5) for a in acc) + b"\xff"
        rows.append(bytes(row))
    raw = b"".join(rows)
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))

out = sys.argv[1] if len(sys.argv) > 1 else "."
for n in (192, 512):
    with open(os.path.join(out, f"icon-{n}.png"), "wb") as f:
        f.write(render(n, 3 if n > 256 else 4))
