#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*), small valid
inputs of every kind each parser accepts, made here from nothing (no third-party files). Dev-only;
the output is committed. Crash inputs found by a campaign go beside them as crash-* files.
Usage: /usr/bin/python3 tests/fuzz/make_corpus.py   (needs python3-opencv for the JPEG seeds)"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- safetensors: [u64 header length][JSON header][data]
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


put("fuzz_safetensors", "f32", safetensors([("w", "F32", [2, 3], f32(1, -2, 3.5, 0.25, 5, 6))],
                                           {"format": "pt", "channel_order": "rgb"}))
put("fuzz_safetensors", "mixed", safetensors([
    ("conv.weight", "F32", [1, 1, 3, 3], f32(*range(9))),
    ("bn.num_batches_tracked", "I64", [], struct.pack("<q", 7)),
    ("d", "F64", [2], struct.pack("<2d", 1.5, -0.5)),
    ("h", "F16", [3], struct.pack("<3H", 0x3C00, 0xC000, 0x7BFF)),
    ("b", "BF16", [2], struct.pack("<2H", 0x3F80, 0xC040)),
    ("empty", "F32", [0, 4], b"")]))
put("fuzz_safetensors", "no-tensors", safetensors([], {"step": "3"}))


# ---- PNG, written by hand so that every colour type, bit depth, filter and interlace is seeded
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp, kinds):
    out, prev = b"", bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        k = kinds[i % len(kinds)]
        f = bytearray()
        for x, v in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][k]
            f.append((v - pred) & 0xFF)
        out += bytes([k]) + bytes(f)
        prev = row
    return out


def pack_samples(samples, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per):
        byte = 0
        for j in range(per):
            s = samples[i + j] if i + j < len(samples) else 0
            byte |= s << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(w, h, ctype, depth, interlace=False, kinds=(0, 1, 2, 3, 4), palette=None, trns=None):
    ch = CHANNELS[ctype]
    maxv = (1 << depth) - 1
    px = [[[(x * 37 + y * 11 + c * 53) % (maxv + 1) if ctype != 3 else (x + y) % len(palette)
            for c in range(ch)] for x in range(w)] for y in range(h)]
    bpp = max(1, ch * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        rows = []
        for y in range(y0, h, dy):
            samples = [s for x in range(x0, w, dx) for s in px[y][x]]
            if samples:
                rows.append(pack_samples(samples, depth))
        if rows:
            raw += filter_rows(rows, bpp, kinds)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, int(interlace)))
    if palette:
        out += chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns:
        out += chunk(b"tRNS", trns)
    out += chunk(b"tEXt", b"Comment\x00fuzz seed")
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


PAL = [(255, 0, 0), (0, 128, 255), (30, 200, 40), (250, 250, 250), (0, 0, 0)]
for depth in (1, 2, 4, 8, 16):
    put("fuzz_image", "gray%d" % depth, png(9, 4, 0, depth))
put("fuzz_image", "rgb8", png(5, 3, 2, 8))
put("fuzz_image", "rgb16", png(4, 3, 2, 16))
put("fuzz_image", "palette4-trns", png(6, 5, 3, 4, palette=PAL, trns=b"\x00\x80"))
put("fuzz_image", "palette8", png(3, 7, 3, 8, palette=PAL))
put("fuzz_image", "gray-alpha8", png(4, 4, 4, 8))
put("fuzz_image", "rgba16", png(3, 2, 6, 16))
put("fuzz_image", "rgba8-adam7", png(11, 9, 6, 8, interlace=True))
put("fuzz_image", "gray1-adam7", png(10, 10, 0, 1, interlace=True))
put("fuzz_image", "rgb8-1x1", png(1, 1, 2, 8))
try:
    import cv2
    import numpy as np
    img = np.fromfunction(lambda y, x, c: (x * 20 + y * 7 + c * 60) % 256, (12, 17, 3)).astype(np.uint8)
    put("fuzz_image", "jpeg-color", cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])[1].tobytes())
    put("fuzz_image", "jpeg-progressive",
        cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1].tobytes())
    put("fuzz_image", "jpeg-gray", cv2.imencode(".jpg", img[:, :, 0])[1].tobytes())
except ImportError:
    print("python3-opencv missing: JPEG seeds not written")


# ---- GIMP pattern: six big-endian uint32 (header size, version 1, width, height, bytes, "GPAT"), name, pixels
def pat(w, h, bpp, name):
    n = name.encode() + b"\x00"
    pixels = bytes((x * 29 + y * 13 + c * 71) % 256 for y in range(h) for x in range(w) for c in range(bpp))
    return struct.pack(">IIIII", 24 + len(n), 1, w, h, bpp) + b"GPAT" + n + pixels


for bpp in (1, 2, 3, 4):
    put("fuzz_pat", "bpp%d" % bpp, pat(5 + bpp, 3 + bpp, bpp, "Seed %d" % bpp))
put("fuzz_pat", "utf8-name", pat(2, 2, 3, "Stein/Ziegel \u00e4"))


# ---- training configs: the project's own (configs/*.json) and a minimal one
put("fuzz_train_config", "minimal", b'{"steps": 5}')
for path in sorted(os.listdir(os.path.join(HERE, "..", "..", "configs"))):
    with open(os.path.join(HERE, "..", "..", "configs", path), "rb") as f:
        put("fuzz_train_config", os.path.splitext(path)[0], f.read())
