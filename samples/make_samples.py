#!/usr/bin/env python3
"""Regenerate Scrim's sample WAVs (48 kHz, 24-bit) from speech synthesizers and seeded noise.

Usage:
    python3 samples/make_samples.py            # writes the WAVs next to this script
    python3 samples/make_samples.py --check    # prints the chunk layout and levels of the written files

Needs python3 with numpy, and the Debian packages espeak-ng and flite on PATH. Everything else (resampling,
filtering, the RIFF/BWF writer, the BS.1770 meter used to set the take levels) is written here with numpy and
the struct module. scipy is deliberately not used, so the output does not depend on whether it is installed.

Levels in dBFS: RMS figures are 20*log10(rms) with full scale = 1.0; sine levels follow AES17 (a full-scale
sine is 0 dBFS, so a sine at L dBFS has peak amplitude 10^(L/20)).
"""

import argparse
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

import numpy as np

SAMPLE_RATE = 48000
HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20250314

# Timecode of the first sample of the poly file: 14:23:05:12 at 23.976 fps non-drop (24 labels per second,
# frames last 1001/24000 s). TimeReference = frames x 1001/24000 x 48000 = frames x 2002 (exact).
POLY_TIMECODE = (14, 23, 5, 12)
TIMECODE_FRAMES_PER_SECOND = 24


def db_to_gain(decibels):
    return 10.0 ** (decibels / 20.0)


def gain_to_db(gain):
    return 20.0 * math.log10(max(gain, 1e-12))


def rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def peak(x):
    return float(np.max(np.abs(x)))


# ----------------------------------------------------------------------------------------------------------
# RIFF reading and writing (owned here: fmt, bext, iXML, data; 24-bit little-endian PCM).

def read_chunks(path):
    """Returns (form_type, [(chunk_id, offset_of_payload, payload_bytes)]) for a RIFF file."""
    with open(path, "rb") as handle:
        blob = handle.read()
    riff_id, riff_size, form = struct.unpack_from("<4sI4s", blob, 0)
    if riff_id != b"RIFF" or form != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file ({riff_id!r}, {form!r})")
    chunks = []
    offset = 12
    end = min(len(blob), 8 + riff_size)
    while offset + 8 <= end:
        chunk_id, size = struct.unpack_from("<4sI", blob, offset)
        payload_start = offset + 8
        # Synthesizers writing to a pipe may leave a placeholder size; clamp to the bytes present.
        size = min(size, len(blob) - payload_start)
        chunks.append((chunk_id.decode("latin-1"), payload_start, blob[payload_start:payload_start + size]))
        offset = payload_start + size + (size & 1)
    return form.decode("latin-1"), chunks


def read_pcm16_mono(path):
    """Reads a 16-bit PCM mono WAV (what espeak-ng and flite write); returns (float64 samples, sample rate)."""
    _, chunks = read_chunks(path)
    fmt = next(payload for cid, _, payload in chunks if cid == "fmt ")
    data = next(payload for cid, _, payload in chunks if cid == "data")
    format_tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt, 0)
    if format_tag != 1 or channels != 1 or bits != 16:
        raise ValueError(f"{path}: expected 16-bit PCM mono, got tag {format_tag}, {channels} ch, {bits} bit")
    samples = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    return samples, rate


def pcm24_bytes(frames):
    """Interleaves (frameCount, channelCount) float samples into 24-bit little-endian PCM.

    Round to nearest, clip to [-2^23, 2^23 - 1]; full scale 1.0 maps to 2^23.
    """
    scaled = np.rint(frames * 8388608.0)
    clipped = np.clip(scaled, -8388608, 8388607).astype("<i4")
    return clipped.reshape(-1).view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def chunk(chunk_id, payload):
    """One RIFF chunk: id, little-endian size, payload, and a pad byte when the size is odd."""
    assert len(chunk_id) == 4
    padding = b"\x00" if len(payload) % 2 else b""
    return chunk_id.encode("ascii") + struct.pack("<I", len(payload)) + payload + padding


def fmt_payload(channel_count, bits=24):
    block_align = channel_count * bits // 8
    # WAVE_FORMAT_PCM (1); 16-byte fmt as the original RIFF spec defines it.
    return struct.pack("<HHIIHH", 1, channel_count, SAMPLE_RATE, SAMPLE_RATE * block_align, block_align, bits)


def fixed_ascii(text, length):
    raw = text.encode("ascii")
    if len(raw) > length:
        raise ValueError(f"bext field longer than {length} bytes: {text!r}")
    return raw.ljust(length, b"\x00")


def bext_payload(description, originator, originator_reference, date, time, time_reference, coding_history):
    """EBU Tech 3285 version 1 broadcast audio extension: 602 fixed bytes then the coding history."""
    payload = b"".join([
        fixed_ascii(description, 256),
        fixed_ascii(originator, 32),
        fixed_ascii(originator_reference, 32),
        fixed_ascii(date, 10),                      # yyyy-mm-dd
        fixed_ascii(time, 8),                       # hh:mm:ss
        struct.pack("<II", time_reference & 0xFFFFFFFF, time_reference >> 32),
        struct.pack("<H", 1),                       # BWF version 1 (UMID present, no loudness fields)
        bytes(64),                                  # UMID: not used (all zero)
        bytes(190),                                 # reserved in version 1
    ])
    assert len(payload) == 602
    return payload + coding_history.encode("ascii")


def write_wav(path, frames, extra_chunks=()):
    """Writes RIFF/WAVE: fmt, then extra chunks in the given order, then data. frames: (frameCount, channels)."""
    if frames.ndim == 1:
        frames = frames.reshape(-1, 1)
    body = chunk("fmt ", fmt_payload(frames.shape[1]))
    for chunk_id, payload in extra_chunks:
        body += chunk(chunk_id, payload)
    body += chunk("data", pcm24_bytes(frames))
    with open(path, "wb") as handle:
        handle.write(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)


# ----------------------------------------------------------------------------------------------------------
# Resampling: windowed-sinc interpolation at a rational ratio (polyphase table).

def resample(x, source_rate, target_rate, passband=0.45, half_taps=32, kaiser_beta=9.0):
    """Resamples x from source_rate to target_rate (Hz) with a Kaiser-windowed sinc.

    The low-pass cutoff sits at `passband` x the lower of the two rates (0.45 -> 7.2 kHz for 16 kHz input),
    which is also the band limit of the result. half_taps input samples each side; beta 9 gives about 90 dB
    of stop-band rejection (Kaiser's formula A = 2.285 * (N - 1) * dw + 8 inverted for beta).
    """
    g = math.gcd(source_rate, target_rate)
    up, down = target_rate // g, source_rate // g
    cutoff = passband * min(1.0, up / down)           # cycles per input sample
    output_count = (len(x) * up) // down
    n = np.arange(output_count, dtype=np.int64)
    base = (n * down) // up                           # input index at or before the output instant
    phase = (n * down) % up                           # fractional position, in units of 1/up
    taps = np.arange(-half_taps + 1, half_taps + 1)   # input offsets relative to base
    fraction = np.arange(up)[:, None] / up
    tau = taps[None, :] - fraction                    # distance (input samples) from output instant to tap
    window = np.kaiser(2 * half_taps + 1, kaiser_beta)
    window_at = np.interp(tau, np.linspace(-half_taps, half_taps, 2 * half_taps + 1), window)
    table = 2.0 * cutoff * np.sinc(2.0 * cutoff * tau) * window_at
    padded = np.concatenate([np.zeros(half_taps), x, np.zeros(half_taps + 1)])
    y = np.zeros(output_count)
    for j, offset in enumerate(taps):
        y += table[phase, j] * padded[base + offset + half_taps]
    return y


# ----------------------------------------------------------------------------------------------------------
# Frequency-domain shaping (zero phase; noise is shaped circularly, speech is zero-padded first).

def shape(x, response, circular=False):
    """Filters x by a real magnitude response(f_hz) applied to its spectrum (zero phase)."""
    length = len(x) if circular else 1 << int(math.ceil(math.log2(len(x) + 16384)))
    spectrum = np.fft.rfft(x, n=length)
    frequencies = np.fft.rfftfreq(length, 1.0 / SAMPLE_RATE)
    return np.fft.irfft(spectrum * response(frequencies), n=length)[: len(x)]


def highpass(f, corner, order):
    with np.errstate(divide="ignore"):
        ratio = np.where(f > 0, corner / np.maximum(f, 1e-9), np.inf)
    return 1.0 / np.sqrt(1.0 + ratio ** (2 * order))   # Butterworth magnitude


def lowpass(f, corner, order):
    return 1.0 / np.sqrt(1.0 + (f / corner) ** (2 * order))


def bell(f, centre, gain_db, octaves):
    """Gaussian bump on a log-frequency axis: gain_db at centre, width `octaves` (standard deviation)."""
    distance = np.log2(np.maximum(f, 1.0) / centre)
    return 10.0 ** (gain_db * np.exp(-0.5 * (distance / octaves) ** 2) / 20.0)


def room_tone(rng, frame_count, level_db, hvac_db=-6.0):
    """Broadband room tone at level_db dBFS RMS: between pink and brown (-4.5 dB/octave), plus HVAC rumble.

    The HVAC part is band-limited noise around 110 Hz, slowly breathing (+-1.3 dB at 0.23 Hz), at hvac_db
    relative to the broadband part. No discrete tones, so a hum detector should find nothing here.
    """
    def broadband(f):
        slope = (np.maximum(f, 40.0) / 1000.0) ** -0.75            # amplitude; power falls 4.5 dB/octave
        return slope * highpass(f, 20.0, 2) * lowpass(f, 14000.0, 2)

    bed = shape(rng.standard_normal(frame_count), broadband, circular=True)
    rumble = shape(rng.standard_normal(frame_count), lambda f: bell(f, 110.0, 40.0, 0.7) * highpass(f, 35.0, 3),
                   circular=True)
    t = np.arange(frame_count) / SAMPLE_RATE
    rumble *= 1.0 + 0.15 * np.sin(2 * np.pi * 0.23 * t + rng.uniform(0, 2 * np.pi))
    bed /= rms(bed)
    rumble *= db_to_gain(hvac_db) / rms(rumble)
    tone = bed + rumble
    return tone * db_to_gain(level_db) / rms(tone)


def room_response(rng, rt60_seconds, direct_to_reverb_db, length_seconds=0.6):
    """A small-room impulse response: unit direct sound, then exponentially decaying, darkened noise."""
    count = int(length_seconds * SAMPLE_RATE)
    t = np.arange(count) / SAMPLE_RATE
    tail = rng.standard_normal(count) * np.exp(-6.908 * t / rt60_seconds)  # -60 dB at rt60 (ln 1000 = 6.908)
    tail = shape(tail, lambda f: lowpass(f, 4500.0, 1) * highpass(f, 120.0, 1))
    predelay = int(0.004 * SAMPLE_RATE)
    tail[:predelay] = 0.0
    tail *= db_to_gain(-direct_to_reverb_db) / math.sqrt(np.sum(np.square(tail)))
    tail[0] = 1.0
    return tail


def convolve(x, response):
    length = 1 << int(math.ceil(math.log2(len(x) + len(response))))
    y = np.fft.irfft(np.fft.rfft(x, length) * np.fft.rfft(response, length), length)
    return y[: len(x)]


def delayed(x, milliseconds):
    count = int(round(milliseconds * SAMPLE_RATE / 1000.0))
    return np.concatenate([np.zeros(count), x[: len(x) - count]])


# ----------------------------------------------------------------------------------------------------------
# Speech.

def flite_voices():
    try:
        listing = subprocess.run(["flite", "-lv"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return set(listing.replace("Voices available:", "").split())


# name -> (engine, voice, options). Speeds are words per minute for espeak-ng, pitch 0..99 (50 = default).
VOICES = {
    "slt": ("flite", "slt", {}),
    "rms": ("flite", "rms", {}),
    "awb": ("flite", "awb", {}),
    "en-gb+m3": ("espeak-ng", "en-gb+m3", {"speed": 150, "pitch": 42}),
    "en-us+f3": ("espeak-ng", "en-us+f3", {"speed": 155, "pitch": 55}),
}
# Used when a flite voice is missing from `flite -lv`.
FALLBACK = {"slt": "en-us+f3", "rms": "en-gb+m3", "awb": "en-gb+m3"}


class Synthesizer:
    def __init__(self, workdir):
        self.workdir = workdir
        self.available_flite = flite_voices()
        self.used = {}
        self.cache = {}

    def say(self, voice_name, text):
        """Speech for `text` at 48 kHz, trimmed, band-limited, high-passed, normalised to -20 dBFS RMS."""
        key = (voice_name, text)
        if key in self.cache:
            return self.cache[key].copy()
        engine, voice, options = VOICES[voice_name]
        if engine == "flite" and voice not in self.available_flite:
            print(f"warning: flite voice {voice} missing; using espeak-ng {FALLBACK[voice_name]}", file=sys.stderr)
            voice_name = FALLBACK[voice_name]
            engine, voice, options = VOICES[voice_name]
        path = os.path.join(self.workdir, f"line{len(self.cache)}.wav")
        if engine == "flite":
            command = ["flite", "-voice", voice, "-t", text, "-o", path]
        else:
            command = ["espeak-ng", "-v", voice, "-s", str(options["speed"]), "-p", str(options["pitch"]),
                       "-w", path, text]
        subprocess.run(command, check=True, capture_output=True)
        self.used[voice_name] = (engine, voice)
        samples, rate = read_pcm16_mono(path)
        samples = samples - np.mean(samples)
        loud = np.flatnonzero(np.abs(samples) > 0.02 * peak(samples))
        pad = int(0.03 * rate)
        samples = samples[max(loud[0] - pad, 0): loud[-1] + pad]
        speech = resample(samples, rate, SAMPLE_RATE)
        # Voice band: 2nd-order high-pass at 90 Hz, as a dialogue mic's low cut would leave it.
        speech = shape(speech, lambda f: highpass(f, 90.0, 2))
        speech *= db_to_gain(-20.0) / active_rms(speech)
        self.cache[key] = speech
        return speech.copy()


def active_rms(x, threshold_db=-30.0):
    """RMS over the 20 ms frames within threshold_db of the loudest frame (speech activity, roughly)."""
    frame = SAMPLE_RATE // 50
    count = len(x) // frame
    if count == 0:
        return rms(x)
    energies = np.mean(np.square(x[: count * frame].reshape(count, frame)), axis=1)
    active = energies[energies > np.max(energies) * 10 ** (threshold_db / 10)]
    return float(np.sqrt(np.mean(active)))


def limit_peaks(x, reduction_db, window_ms=3.0):
    """Brings peaks down by reduction_db with a smooth gain (the recorder's limiter, roughly).

    The gain each sample needs is min-filtered over the window, then smoothed by a Hann window of the same
    length; smoothing a min-filtered curve with a window no wider than the min filter never raises it above
    the needed gain at any sample, so no peak exceeds the threshold.
    """
    threshold = peak(x) * db_to_gain(-reduction_db)
    needed = np.minimum(1.0, threshold / np.maximum(np.abs(x), 1e-12))
    width = int(window_ms * SAMPLE_RATE / 1000) | 1
    padded = np.pad(needed, width // 2, constant_values=1.0)
    minimum = np.lib.stride_tricks.sliding_window_view(padded, width).min(axis=1)
    hann = np.hanning(width + 2)[1:-1]
    smooth = np.convolve(np.pad(minimum, width // 2, constant_values=1.0), hann / hann.sum(), mode="valid")
    return x * smooth


def place_lines(synth, lines, frame_count, start_seconds):
    """Lays lines out on per-speaker tracks. lines: (speaker, voice, text, gap_seconds_before, gain_db).

    Returns {speaker: track} (48 kHz, same length). Raises if the scene does not fit in frame_count.
    """
    tracks = {}
    cursor = int(start_seconds * SAMPLE_RATE)
    for speaker, voice, text, gap, gain_db in lines:
        cursor += int(gap * SAMPLE_RATE)
        speech = synth.say(voice, text) * db_to_gain(gain_db)
        end = cursor + len(speech)
        if end > frame_count - int(0.4 * SAMPLE_RATE):
            raise ValueError(f"scene too long: {text!r} ends at {end / SAMPLE_RATE:.2f} s of "
                             f"{frame_count / SAMPLE_RATE:.2f} s")
        track = tracks.setdefault(speaker, np.zeros(frame_count))
        track[cursor:end] += speech
        cursor = end
    return tracks


# ----------------------------------------------------------------------------------------------------------
# Loudness (ITU-R BS.1770-4 integrated, mono; used only to set the two takes' levels).

def k_weighting_power(f):
    """|H(f)|^2 of the BS.1770-4 K-weighting (pre-filter and RLB high-pass), coefficients for 48 kHz."""
    z = np.exp(-2j * np.pi * f / SAMPLE_RATE)   # z^-1

    def biquad(b, a):
        return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)

    shelf = biquad((1.53512485958697, -2.69169618940638, 1.19839281085285), (1.0, -1.69065929318241, 0.73248077421585))
    rlb = biquad((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))
    return np.abs(shelf * rlb) ** 2


def integrated_loudness(x):
    """Gated integrated loudness in LUFS: 400 ms blocks, 75 % overlap, -70 LUFS absolute, -10 LU relative."""
    weighted = shape(x, lambda f: np.sqrt(k_weighting_power(f)))
    block, step = int(0.4 * SAMPLE_RATE), int(0.1 * SAMPLE_RATE)
    starts = range(0, len(weighted) - block + 1, step)
    power = np.array([np.mean(np.square(weighted[s:s + block])) for s in starts])
    loudness = -0.691 + 10 * np.log10(np.maximum(power, 1e-20))
    gated = power[loudness > -70.0]
    relative = -0.691 + 10 * math.log10(np.mean(gated)) - 10.0
    gated = power[(loudness > -70.0) & (loudness > relative)]
    return -0.691 + 10 * math.log10(np.mean(gated))


# ----------------------------------------------------------------------------------------------------------
# The samples.

def mains_hum(rng, frame_count, fundamental_hz=60.0):
    """60 Hz hum with irregular harmonic levels (dBFS, AES17 sine) and a slow +-0.1 Hz drift."""
    levels = {1: -30, 2: -36, 3: -33, 4: -47, 5: -40, 6: -52, 7: -44, 8: -58, 9: -47, 10: -60,
              11: -50, 12: -62, 13: -53, 14: -64, 15: -56, 16: -66}   # up to 960 Hz
    t = np.arange(frame_count) / SAMPLE_RATE
    drift = 0.07 * np.sin(2 * np.pi * t / 6.5 + rng.uniform(0, 2 * np.pi)) \
        + 0.03 * np.sin(2 * np.pi * t / 2.3 + rng.uniform(0, 2 * np.pi))            # |drift| <= 0.1 Hz
    phase = 2 * np.pi * np.cumsum(fundamental_hz + drift) / SAMPLE_RATE
    hum = np.zeros(frame_count)
    for harmonic, level in levels.items():
        hum += db_to_gain(level) * np.sin(harmonic * phase + rng.uniform(0, 2 * np.pi))
    return hum, levels


def report(name, **figures):
    text = ", ".join(f"{key} {value}" for key, value in figures.items())
    print(f"{name}: {text}")


def make_dialogue_roomtone(synth, rng):
    frame_count = 10 * SAMPLE_RATE
    lines = [
        ("A", "slt", "You said the last train left at midnight.", 0.0, 0.0),
        ("B", "en-gb+m3", "It did. We missed it by four minutes.", 0.45, -1.0),
        ("A", "slt", "Then we walk.", 0.55, 0.5),
    ]
    tracks = place_lines(synth, lines, frame_count, start_seconds=1.5)
    room = room_response(rng, rt60_seconds=0.35, direct_to_reverb_db=8.0)
    speech = convolve(tracks["A"] + tracks["B"], room)
    speech *= db_to_gain(-12.0) / peak(speech)
    noise = room_tone(rng, frame_count, level_db=-50.0)
    write_wav(os.path.join(HERE, "dialogue_roomtone.wav"), speech + noise)
    report("dialogue_roomtone.wav", speech_peak_dBFS=f"{gain_to_db(peak(speech)):.1f}",
           speech_active_rms_dBFS=f"{gain_to_db(active_rms(speech)):.1f}",
           roomtone_rms_dBFS=f"{gain_to_db(rms(noise)):.1f}",
           snr_dB=f"{gain_to_db(active_rms(speech) / rms(noise)):.1f}")


def make_hum_take(synth, rng):
    frame_count = 9 * SAMPLE_RATE
    lines = [
        ("B", "rms", "Keep the lights off. They are watching the street.", 0.0, 0.0),
        ("A", "en-us+f3", "How long do we wait?", 0.5, -1.5),
        ("B", "rms", "Until the rain stops.", 0.5, -0.5),
    ]
    tracks = place_lines(synth, lines, frame_count, start_seconds=1.0)
    room = room_response(rng, rt60_seconds=0.3, direct_to_reverb_db=10.0)
    speech = convolve(tracks["A"] + tracks["B"], room)
    speech *= db_to_gain(-12.0) / peak(speech)
    noise = room_tone(rng, frame_count, level_db=-60.0)
    hum, levels = mains_hum(rng, frame_count)
    frames = speech + noise + hum
    bext = bext_payload(
        description="sSPEED=023.976-ND\r\nsSCENE=17\r\nsTAKE=2\r\nsTAPE=25Y03M14\r\nsTRK1=LAV\r\n"
                    "sNOTE=ground loop on lav receiver\r\n",
        originator="Scrim samples", originator_reference="SCRIMSAMPLESHUM0001",
        date="2025-03-14", time="11:02:40", time_reference=timecode_samples(11, 2, 40, 0),
        coding_history="A=PCM,F=48000,W=24,M=mono,T=Scrim make_samples.py\r\n")
    write_wav(os.path.join(HERE, "hum_take.wav"), frames, [("bext", bext)])
    report("hum_take.wav", speech_peak_dBFS=f"{gain_to_db(peak(speech)):.1f}",
           hum_fundamental_dBFS=levels[1], hum_rms_dBFS=f"{gain_to_db(rms(hum)):.1f}",
           roomtone_rms_dBFS=f"{gain_to_db(rms(noise)):.1f}")


def make_takes(synth, rng):
    frame_count = int(4.5 * SAMPLE_RATE)
    line = [("A", "awb", "I never asked you to come back for me.", 0.0, 0.0)]
    speech = place_lines(synth, line, frame_count, start_seconds=1.0)["A"]
    speech = limit_peaks(speech, reduction_db=6.0)   # so the loud take peaks below -3 dBFS at -18 LUFS
    room = room_response(rng, rt60_seconds=0.4, direct_to_reverb_db=7.0)
    speech = convolve(speech, room)
    for name, target_lufs, seed_offset in (("take_quiet.wav", -32.0, 1), ("take_loud.wav", -18.0, 2)):
        # Same performance, different preamp gain: speech and room tone scale together (SNR 30 dB-ish kept).
        take_rng = np.random.default_rng(SEED + 100 + seed_offset)
        noise = room_tone(take_rng, frame_count, level_db=gain_to_db(active_rms(speech)) - 30.0)
        take = speech + noise
        gain = db_to_gain(target_lufs - integrated_loudness(take))
        take *= gain
        write_wav(os.path.join(HERE, name), take)
        report(name, integrated_LUFS=f"{integrated_loudness(take):.1f}", peak_dBFS=f"{gain_to_db(peak(take)):.1f}",
               roomtone_rms_dBFS=f"{gain_to_db(rms(noise * gain)):.1f}")


def timecode_frames(hours, minutes, seconds, frames):
    return ((hours * 60 + minutes) * 60 + seconds) * TIMECODE_FRAMES_PER_SECOND + frames


def timecode_samples(hours, minutes, seconds, frames):
    """Samples since midnight at 48 kHz for a 23.976 NDF timecode: round(frames x 1001/24000 x 48000)."""
    return round(timecode_frames(hours, minutes, seconds, frames) * 1001 * SAMPLE_RATE / 24000)


def poly_time_reference():
    return timecode_samples(*POLY_TIMECODE)


def poly_metadata(time_reference):
    tracks = ["BOOM", "LAV A", "LAV B", "MIX"]
    description = "".join([
        "sSPEED=023.976-ND\r\n", "sTAKE=3\r\n", "sUBITS=$00000000\r\n", "sSWVER=make_samples.py\r\n",
        "sPROJECT=NIGHT TRAIN\r\n", "sSCENE=42A\r\n", "sFILENAME=42A-T03.WAV\r\n", "sTAPE=25Y03M14\r\n",
        *[f"sTRK{i + 1}={name}\r\n" for i, name in enumerate(tracks)],
        "sNOTE=synthetic sample\r\n",
    ])
    bext = bext_payload(description=description, originator="Scrim samples",
                        originator_reference="SCRIMSAMPLESPOLY0001", date="2025-03-14", time="14:23:05",
                        time_reference=time_reference,
                        coding_history="A=PCM,F=48000,W=24,M=mono,T=Scrim make_samples.py\r\n")
    track_xml = ""
    for index, name in enumerate(tracks, start=1):
        # iXML's FUNCTION dictionary has MIX for a mono mixdown and no entry for an isolated mono mic,
        # and every iXML field is optional, so only the mix track carries one.
        function = "<FUNCTION>MIX</FUNCTION>" if name == "MIX" else ""
        track_xml += (f"<TRACK><CHANNEL_INDEX>{index}</CHANNEL_INDEX><INTERLEAVE_INDEX>{index}</INTERLEAVE_INDEX>"
                      f"<NAME>{name}</NAME>{function}</TRACK>\n")
    ixml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<BWFXML>\n'
        "<IXML_VERSION>1.61</IXML_VERSION>\n<PROJECT>NIGHT TRAIN</PROJECT>\n<SCENE>42A</SCENE>\n<TAKE>3</TAKE>\n"
        "<TAPE>25Y03M14</TAPE>\n<CIRCLED>TRUE</CIRCLED>\n<NO_GOOD>FALSE</NO_GOOD>\n<FALSE_START>FALSE</FALSE_START>\n"
        "<WILD_TRACK>FALSE</WILD_TRACK>\n<FILE_UID>SCRIMSAMPLESPOLY0001</FILE_UID>\n<UBITS>00000000</UBITS>\n"
        "<NOTE>synthetic sample</NOTE>\n"
        "<SPEED>\n<MASTER_SPEED>24000/1001</MASTER_SPEED>\n<CURRENT_SPEED>24000/1001</CURRENT_SPEED>\n"
        "<TIMECODE_RATE>24000/1001</TIMECODE_RATE>\n<TIMECODE_FLAG>NDF</TIMECODE_FLAG>\n"
        f"<FILE_SAMPLE_RATE>{SAMPLE_RATE}</FILE_SAMPLE_RATE>\n<AUDIO_BIT_DEPTH>24</AUDIO_BIT_DEPTH>\n"
        f"<DIGITIZER_SAMPLE_RATE>{SAMPLE_RATE}</DIGITIZER_SAMPLE_RATE>\n"
        f"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>{time_reference >> 32}</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>\n"
        f"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>{time_reference & 0xFFFFFFFF}</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>\n"
        f"<TIMESTAMP_SAMPLE_RATE>{SAMPLE_RATE}</TIMESTAMP_SAMPLE_RATE>\n</SPEED>\n"
        "<HISTORY>\n<ORIGINAL_FILENAME>42A-T03.WAV</ORIGINAL_FILENAME>\n"
        "<CURRENT_FILENAME>poly_bwf_4ch.wav</CURRENT_FILENAME>\n</HISTORY>\n"
        f"<TRACK_LIST>\n<TRACK_COUNT>{len(tracks)}</TRACK_COUNT>\n{track_xml}</TRACK_LIST>\n"
        "</BWFXML>\n"
    )
    return bext, ixml.encode("utf-8")


def make_poly(synth, rng):
    frame_count = 9 * SAMPLE_RATE
    lines = [
        ("A", "slt", "Is the camera still rolling?", 0.0, 0.0),
        ("B", "rms", "Yes. Again, slower.", 0.4, 0.0),
        ("A", "slt", "The money was never in the car.", 0.5, 1.0),
        ("B", "rms", "Then where is it?", 0.45, -1.0),
    ]
    tracks = place_lines(synth, lines, frame_count, start_seconds=1.0)
    actor_a, actor_b = tracks["A"], tracks["B"]
    room = room_response(rng, rt60_seconds=0.4, direct_to_reverb_db=4.0)      # boom about 2 m away
    near = room_response(rng, rt60_seconds=0.4, direct_to_reverb_db=16.0)     # lav on the chest

    def lav(x):  # chest lav: less low end, a little presence lift, top rolled off by clothing
        return shape(x, lambda f: highpass(f, 110.0, 2) * bell(f, 5000.0, 3.0, 0.8) * lowpass(f, 12000.0, 2))

    # Sound travels about 0.343 m/ms: boom 2.0 m and 1.8 m from the actors, lavs 0.3 m from their wearer.
    boom = convolve(delayed(actor_a, 5.8) + db_to_gain(-1.5) * delayed(actor_b, 5.2), room)
    boom = boom * db_to_gain(-14.0) / peak(boom) + room_tone(rng, frame_count, level_db=-50.0)
    lav_a = lav(convolve(delayed(actor_a, 0.9) + db_to_gain(-16.0) * delayed(actor_b, 3.6), near))
    lav_a = lav_a * db_to_gain(-12.0) / peak(lav_a)
    lav_b = lav(convolve(delayed(actor_b, 1.1) + db_to_gain(-16.0) * delayed(actor_a, 3.9), near))
    lav_b = lav_b * db_to_gain(-17.0) / peak(lav_b)
    # Clothing rustle on lav B: two short bursts of 1-5 kHz noise with a fast attack.
    for start_seconds in (2.3, 6.9):
        burst_count = int(0.25 * SAMPLE_RATE)
        ramp = np.arange(burst_count)
        envelope = np.exp(-ramp / (0.06 * SAMPLE_RATE)) * (1.0 - np.exp(-ramp / (0.004 * SAMPLE_RATE)))
        burst = shape(rng.standard_normal(burst_count),
                      lambda f: highpass(f, 1000.0, 2) * lowpass(f, 5000.0, 2)) * envelope
        start = int(start_seconds * SAMPLE_RATE)
        lav_b[start:start + burst_count] += burst * db_to_gain(-32.0) / peak(burst)
    for track, level_db in ((lav_a, -58.0), (lav_b, -56.0)):
        track += room_tone(rng, frame_count, level_db=level_db)
        track += rng.standard_normal(frame_count) * db_to_gain(-76.0)          # transmitter/receiver hiss
    mix = db_to_gain(-6.0) * boom + db_to_gain(-3.0) * lav_a + db_to_gain(-1.0) * lav_b
    frames = np.stack([boom, lav_a, lav_b, mix], axis=1)
    time_reference = poly_time_reference()
    bext, ixml = poly_metadata(time_reference)
    write_wav(os.path.join(HERE, "poly_bwf_4ch.wav"), frames, [("bext", bext), ("iXML", ixml)])
    report("poly_bwf_4ch.wav", time_reference=time_reference,
           track_peaks_dBFS=[round(gain_to_db(peak(frames[:, c])), 1) for c in range(4)],
           track_rms_dBFS=[round(gain_to_db(rms(frames[:, c])), 1) for c in range(4)])


# ----------------------------------------------------------------------------------------------------------
# Checking what was written.

SAMPLE_FILES = ["dialogue_roomtone.wav", "hum_take.wav", "take_quiet.wav", "take_loud.wav", "poly_bwf_4ch.wav"]


def check():
    total = 0
    for name in SAMPLE_FILES:
        path = os.path.join(HERE, name)
        total += os.path.getsize(path)
        _, chunks = read_chunks(path)
        layout = ", ".join(f"{cid}({len(payload)})" for cid, _, payload in chunks)
        fmt = next(payload for cid, _, payload in chunks if cid == "fmt ")
        tag, channels, rate, byte_rate, align, bits = struct.unpack_from("<HHIIHH", fmt, 0)
        data = next(payload for cid, _, payload in chunks if cid == "data")
        frame_count = len(data) // align
        print(f"{name}: {layout}; tag {tag}, {channels} ch, {rate} Hz, {bits} bit, "
              f"{frame_count} frames = {frame_count / rate:.3f} s")
        for cid, _, payload in chunks:
            if cid == "bext":
                low, high = struct.unpack_from("<II", payload, 338)
                version = struct.unpack_from("<H", payload, 346)[0]
                reference = (high << 32) | low
                seconds = reference / rate
                tc_frames = round(reference * 24000 / (1001 * rate))
                ff = tc_frames % 24
                ss = tc_frames // 24
                print(f"  bext v{version}: originator {payload[256:288].rstrip(bytes(1)).decode()!r}, "
                      f"date {payload[320:330].decode()} {payload[330:338].decode()}, "
                      f"TimeReference {reference} ({seconds:.3f} s since midnight; 23.976 NDF timecode "
                      f"{ss // 3600:02d}:{ss // 60 % 60:02d}:{ss % 60:02d}:{ff:02d})")
                print("  description: " + payload[:256].rstrip(bytes(1)).decode().replace("\r\n", " | "))
                print(f"  coding history: {payload[602:].decode()!r}")
            if cid == "iXML":
                root = ElementTree.fromstring(payload.rstrip(b"\x00"))
                speed = root.find("SPEED")
                names = [track.findtext("NAME") for track in root.iter("TRACK")]
                print(f"  iXML {root.findtext('IXML_VERSION')}: project {root.findtext('PROJECT')!r}, "
                      f"scene {root.findtext('SCENE')}, take {root.findtext('TAKE')}, tape {root.findtext('TAPE')}, "
                      f"rate {speed.findtext('TIMECODE_RATE')} {speed.findtext('TIMECODE_FLAG')}, "
                      f"samples since midnight hi {speed.findtext('TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI')} "
                      f"lo {speed.findtext('TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO')}, tracks {names}")
    print(f"total {total} bytes ({total / 1e6:.2f} MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print the chunk layout of the written files")
    arguments = parser.parse_args()
    if arguments.check:
        check()
        return
    for tool in ("espeak-ng", "flite"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install -y espeak-ng flite")
    with tempfile.TemporaryDirectory() as workdir:
        synth = Synthesizer(workdir)
        make_dialogue_roomtone(synth, np.random.default_rng(SEED + 1))
        make_hum_take(synth, np.random.default_rng(SEED + 2))
        make_takes(synth, np.random.default_rng(SEED + 3))
        make_poly(synth, np.random.default_rng(SEED + 4))
        for name, (engine, voice) in sorted(synth.used.items()):
            print(f"voice {name}: {engine} {voice}")
    check()


if __name__ == "__main__":
    main()
