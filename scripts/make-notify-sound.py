#!/usr/bin/env python3
"""Writes agent-console/resources/sounds/notify.wav: the console's notification chime.

Two short sine notes (A5, then E6) with a soft attack and an exponential decay, 22,050 Hz,
16-bit mono, about 0.35 s. Generated rather than downloaded so the project owns every byte of
it; run this script again to reproduce the file exactly.
"""
import math
import os
import struct
import wave

RATE = 22050
NOTES = [(880.0, 0.0, 0.22), (1318.51, 0.11, 0.24)]  # frequency, start (s), length (s)
LENGTH = 0.36
VOLUME = 0.32


def sample(t):
    v = 0.0
    for freq, start, length in NOTES:
        u = t - start
        if 0 <= u < length:
            attack = min(1.0, u / 0.006)
            decay = math.exp(-u * 14.0)
            # a little of the octave makes it a chime rather than a beep
            v += attack * decay * (math.sin(2 * math.pi * freq * u) + 0.25 * math.sin(4 * math.pi * freq * u))
    return v


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "agent-console", "resources", "sounds", "notify.wav")
    frames = bytearray()
    for i in range(int(RATE * LENGTH)):
        v = max(-1.0, min(1.0, VOLUME * sample(i / RATE)))
        frames += struct.pack("<h", int(round(v * 32767)))
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    print(out, len(frames), "bytes of samples")


if __name__ == "__main__":
    main()
