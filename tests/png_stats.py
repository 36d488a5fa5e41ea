#!/usr/bin/env python3
"""Decodes a PNG (8-bit greyscale, RGB or RGBA, not interlaced: what
Chromium's --screenshot writes) with the standard library only and prints
"WIDTHxHEIGHT colours=N background=F": the number of distinct pixel values
and the fraction of pixels equal to the most common one. Used by
tests/report_browser.sh to tell a rendered page from a blank one."""
import struct
import sys
import zlib
from collections import Counter


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
    raw, stride, bpp = zlib.decompress(idat), w * channels, channels
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def main():
    w, h, ch, rows = decode(sys.argv[1])
    counts = Counter()
    for r in rows:
        counts.update(r[x:x + ch] for x in range(0, len(r), ch))
    print("%dx%d colours=%d background=%.4f" % (w, h, len(counts), counts.most_common(1)[0][1] / float(w * h)))


if __name__ == "__main__":
    main()
