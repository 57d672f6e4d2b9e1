"""Audio helpers for the sample tests (kandysim's play mode, and the same
through the bridge): a speech-like test sample, WAV writing, and the
normalised cross-correlation of received audio with the sample at the
best offset.  Pure Python (no numpy): an iterative radix-2 FFT."""

import cmath
import math
import struct

RATE = 8000


def speech_like(amp=0.4):
    """About 1.6 s of tones, a two-tone, chirps up and down, with silent
    gaps and 10 ms fades: 8 kHz samples (ints)."""
    parts = [("tone", 0.30, 440), ("gap", 0.15), ("chirp", 0.30, 300, 2500),
             ("gap", 0.10), ("two", 0.20, 700, 1200), ("gap", 0.15),
             ("chirp", 0.30, 3000, 500), ("gap", 0.10)]
    out = []
    for p in parts:
        n = int(p[1] * RATE)
        if p[0] == "gap":
            out += [0] * n
            continue
        ph = 0.0
        for i in range(n):
            env = min(1.0, i / 80.0, (n - 1 - i) / 80.0)
            if p[0] == "tone":
                v = math.sin(2 * math.pi * p[2] * i / RATE)
            elif p[0] == "two":
                v = 0.5 * (math.sin(2 * math.pi * p[2] * i / RATE) +
                           math.sin(2 * math.pi * p[3] * i / RATE))
            else:
                f = p[2] + (p[3] - p[2]) * i / n
                ph += 2 * math.pi * f / RATE
                v = math.sin(ph)
            out.append(int(amp * 32767 * env * v))
    return out


def pcm_bytes(samples):
    return struct.pack("<%dh" % len(samples), *samples)


def wav_bytes(samples, rate=RATE, channels=1, bits=16, fmt=1):
    data = pcm_bytes(samples)
    block = channels * bits // 8
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" +
            b"fmt " + struct.pack("<IHHIIHH", 16, fmt, channels, rate,
                                  rate * block, block, bits) +
            b"data" + struct.pack("<I", len(data)) + data)


def _fft(a, invert=False):
    n = len(a)
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    length = 2
    while length <= n:
        w = cmath.exp((2j if invert else -2j) * math.pi / length)
        half = length // 2
        ws = [1]
        for _ in range(half - 1):
            ws.append(ws[-1] * w)
        for i in range(0, n, length):
            for k in range(half):
                u = a[i + k]
                v = a[i + k + half] * ws[k]
                a[i + k] = u + v
                a[i + k + half] = u - v
        length <<= 1
    if invert:
        a[:] = [x / n for x in a]
    return a


def best_ncc(sample, received):
    """(ncc, offset): the largest normalised cross-correlation of sample
    with a same-length stretch of received, and where that stretch
    starts.  A looped sample is found whole only in at least twice its
    length of received audio."""
    n, m = len(sample), len(received)
    if m < n or n == 0:
        return 0.0, -1
    size = 1
    while size < n + m:
        size <<= 1
    fa = _fft([complex(v) for v in received] + [0j] * (size - m))
    fb = _fft([complex(v) for v in sample] + [0j] * (size - n))
    cc = _fft([x * y.conjugate() for x, y in zip(fa, fb)], invert=True)
    ey = math.sqrt(sum(v * v for v in sample)) or 1.0
    pre = [0.0]
    for v in received:
        pre.append(pre[-1] + v * v)
    best, where = 0.0, -1
    for k in range(0, m - n + 1):
        ex = pre[k + n] - pre[k]
        if ex <= 0:
            continue
        r = cc[k].real / (ey * math.sqrt(ex))
        if r > best:
            best, where = r, k
    return best, where
