"""Build the deterministic test corpus for Scrim's quality benchmarks under Benchmarks/work/quality/corpus/.

Run with the benchmark venv:  Benchmarks/.venv/py311/bin/python Benchmarks/quality/corpus.py [--utterances N]

What it makes (all 48 kHz mono 32-bit float WAV):
- clean/<utt>.wav: synthetic speech (espeak-ng or flite, several voices; 4-6 s) or, for `r1`, a real voice
  (four ALSA speaker-test prompts in a row), trimmed to the speech, resampled to 48 kHz with SoX `rate -v`,
  scaled to an active speech level of -26 dBFS, with 1.0 s of digital silence in front (the lead-in) and 0.5 s
  behind.
- denoise/<utt>_<noise>_<snr>dB.wav: clean + noise at 0/5/10/20 dB SNR, seven noise types. The noise covers the
  whole file, so the first 1.0 s is noise only (for tools that learn a noise profile).
- dehum/<utt>_<hum>.wav: clean + one of seven hum types at a hum-to-speech ratio of -20, -15, -10 or -5 dB.
Each file has a JSON beside it with the true parameters, and corpus/manifest.json lists everything.

SNR definition: the speech-active frames are the 20 ms frames of the clean file whose RMS is within 40 dB of
its loudest frame; SNR = 10 log10(mean clean^2 / mean noise^2), both means over the samples of those frames.
The hum-to-speech ratio is defined the same way with the hum in place of the noise. The same noise (or hum)
realisation is used at every SNR of an utterance, only scaled.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

import qlib
from qlib import SAMPLE_RATE as SR

# (id, engine, voice, text). The benchmark uses the first N (default 5: four synthetic, one real voice).
UTTERANCES = [
    ("u1", "espeak", "en-us+f3",
     "Please move the boom a little closer, we keep losing her voice under the air conditioning."),
    ("u2", "flite", "slt",
     "She stepped off the late train, looked around the empty platform, and called his name twice."),
    ("u3", "espeak", "en-gb+m3",
     "The director wants one more take before the light fades behind the western hills."),
    ("u4", "flite", "rms",
     "Nobody told me the generator would be running all night, right next to the sound cart."),
    # a real human voice: four of the ALSA speaker-test prompts (package alsa-utils), trimmed, 0.2 s apart
    ("r1", "alsa", "Front_Center+Rear_Left+Side_Right+Front_Left",
     "Front center. Rear left. Side right. Front left."),
    ("u5", "espeak", "en-gb-scotland+f2",
     "Keep rolling, we will pick up the last line again from the top of the stairs."),
    ("u6", "flite", "awb",
     "If the wind picks up again, we can move the whole scene inside the old barn."),
    # the wider corpus (2026-12): more voices, genders and languages; the first seven above are unchanged
    ("u7", "flite", "kal",
     "The caterer wants the truck moved before noon, so we should wrap this scene quickly."),
    ("u8", "espeak", "de+f4",
     "Bitte noch einmal von vorne, der Hubschrauber war in der letzten Einstellung viel zu laut."),
    ("u9", "espeak", "fr-fr+m2",
     "On reprend la scene depuis le debut, le micro a capte le bruit du camion dans la cour."),
    ("u10", "espeak", "es+f5",
     "Vamos a repetir la toma, porque el viento movio las hojas durante todo el dialogo."),
    ("r2", "alsa", "Front_Right+Rear_Center+Side_Left+Rear_Right",
     "Front right. Rear center. Side left. Rear right."),
    ("u11", "espeak", "it+m4",
     "Aspetta un attimo, la cinepresa non era pronta quando hai detto la tua battuta."),
    ("u12", "espeak", "pt-br+f1",
     "A luz do fim da tarde esta perfeita, vamos gravar antes que o sol desapareca."),
    ("u13", "espeak", "en-us+klatt4",
     "Hold the slate a little higher, the second camera cannot read the scene number."),
    ("u14", "espeak", "nl+m7",
     "We nemen het nog een keer op, want iemand liet een glas vallen in de keuken."),
    ("u15", "espeak", "pl+f3",
     "Prosze powtorzyc ostatnie zdanie, bo samolot przelecial nad planem zdjeciowym."),
    ("u16", "espeak", "sv+m5",
     "Vi tar om scenen fran borjan, mikrofonen fangade ljudet fran flakten i taket."),
    ("u17", "espeak", "en-us+f5",
     "Tell the neighbours we are sorry about the noise, we will be finished by nine tonight."),
    ("u18", "espeak", "fi+m6",
     "Otetaan kohtaus viela kerran, koska tuuli puhalsi suoraan mikrofoniin."),
    ("u19", "espeak", "en-gb-x-rp+f2",
     "The actors are tired, so give them ten minutes and then we go for the close-ups."),
]

# Other talkers summed into the babble noise (never the target utterance's text).
BABBLE_TALKERS = [
    ("b1", "espeak", "en-us+m1", "Did anyone see where I left the keys to the grip truck this morning?"),
    ("b2", "espeak", "en-029+f4", "Lunch is in twenty minutes, and the caterer brought soup again today."),
    ("b3", "espeak", "en-gb-x-rp+m4", "I think the second camera needs a fresh battery before we go again."),
    ("b4", "espeak", "en-us-nyc+f2", "My sister called twice, she wants to know if we are coming on Sunday."),
    ("b5", "espeak", "en-gb-x-gbclan+m2", "The weather report said rain after four, so we should hurry."),
    ("b6", "espeak", "en-gb+f1", "Could you pass me that cable, the long one by the door?"),
    ("b7", "flite", "kal16", "Turn left at the second light, then keep going until you see the church."),
    ("b8", "flite", "awb", "We sold the old car last spring and never regretted it for a minute."),
]

NOISE_TYPES = ["white", "pink", "brown", "hvac", "traffic", "babble", "bursts",
               "wind", "rain", "cafe", "fan", "keyboard", "music", "buzz"]
SNRS_DB = [0, 5, 10, 20]
# Each utterance gets NOISES_PER_UTTERANCE noise types (at every SNR), rotating so that over the 21 utterances
# every noise type is paired with 6 different voices: utterance i takes types (4 i + j + i // 7) mod 14.
NOISES_PER_UTTERANCE = 4
# Hum files are made for the first HUM_UTTERANCES utterances only (the de-hum bench's corpus is unchanged).
HUM_UTTERANCES = 5
# What the manifest records, so that a bench rebuilds a corpus made by an older corpus.py.
PLAN = {"version": 2, "noise_types": NOISE_TYPES, "snrs_db": SNRS_DB, "noises_per_utterance": NOISES_PER_UTTERANCE,
        "hum_utterances": HUM_UTTERANCES}
HUM_TYPES = ["mains50", "mains60", "irregular", "buzz", "drift", "hum_noise", "swell"]
HUM_LEVELS_DB = [-20.0, -15.0, -10.0, -5.0]

SPEECH_MIN_SECONDS, SPEECH_MAX_SECONDS = 4.0, 6.0
ALSA_PROMPTS = Path("/usr/share/sounds/alsa")


# ---------------------------------------------------------------- speech


def synthesize(engine: str, voice: str, text: str, stretch: float, tmp: Path) -> np.ndarray:
    """TTS at the engine's own rate, resampled to 48 kHz float by SoX `rate -v` (very high quality)."""
    raw = tmp / "raw.wav"
    if engine == "alsa":
        parts = []
        for prompt in voice.split("+"):
            x, rate = qlib.read_mono(ALSA_PROMPTS / f"{prompt}.wav")
            if rate != SR:
                raise ValueError(f"{prompt}: {rate} Hz")
            parts += [trim(x, -40.0), np.zeros(int(0.2 * SR))]
        return np.concatenate(parts[:-1])
    if engine == "espeak":
        wpm = int(round(175 / stretch))  # espeak-ng default speed is 175 words per minute
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True)
    elif engine == "flite":
        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}", "-t", text,
                        "-o", str(raw)], check=True)
    else:
        raise ValueError(engine)
    resampled = tmp / "48k.wav"
    subprocess.run(["sox", str(raw), "-b", "32", "-e", "floating-point", str(resampled), "rate", "-v",
                    str(SR)], check=True)
    x, rate = qlib.read_mono(resampled)
    assert rate == SR, rate
    return trim(x)


def trim(x: np.ndarray, threshold_db: float = -60.0) -> np.ndarray:
    """Cut leading/trailing samples below threshold_db re the peak, with 5 ms raised-cosine edges."""
    loud = np.flatnonzero(np.abs(x) > np.abs(x).max() * 10 ** (threshold_db / 20))
    y = x[loud[0]: loud[-1] + 1].copy()
    ramp = int(0.005 * SR)
    fade = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    y[:ramp] *= fade
    y[-ramp:] *= fade[::-1]
    return y


def speech(engine: str, voice: str, text: str, tmp: Path, fit: bool) -> tuple[np.ndarray, float]:
    """Synthesised speech; if fit, the speaking rate is adjusted until it lasts 4-6 s."""
    stretch = 1.0
    for _ in range(4):
        x = synthesize(engine, voice, text, stretch, tmp)
        seconds = len(x) / SR
        if not fit or SPEECH_MIN_SECONDS <= seconds <= SPEECH_MAX_SECONDS:
            return x, stretch
        if engine == "alsa":
            break  # a recording cannot be re-spoken faster
        stretch *= 5.0 / seconds
    raise RuntimeError(f"could not fit {voice!r} into {SPEECH_MIN_SECONDS}-{SPEECH_MAX_SECONDS} s")


def set_active_level(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    mask = qlib.active_mask(x)
    rms = np.sqrt(np.mean(x[mask] ** 2))
    return x * (10 ** (level_dbfs / 20) / rms)


# ---------------------------------------------------------------- noise


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x * x)))


def shaped_noise(rng: np.random.Generator, n: int, exponent: float, low_cut: float = 20.0,
                 high_cut: float | None = None) -> np.ndarray:
    """Gaussian noise with power spectral density ~ f^-exponent (0 white, 1 pink, 2 brown), unit RMS.

    Below low_cut the slope is replaced by a 12 dB/octave high-pass; high_cut adds a 2nd-order low-pass
    magnitude. Shaped in one FFT over the whole length (circular, so no start-up transient).
    """
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    gain = np.zeros_like(f)
    nz = f > 0
    gain[nz] = (np.maximum(f[nz], low_cut) / 1000.0) ** (-exponent / 2)
    gain[nz] *= np.minimum(f[nz] / low_cut, 1.0) ** 2
    if high_cut is not None:
        gain /= np.sqrt(1 + (f / high_cut) ** 4)
    x = np.fft.irfft(spectrum * gain, n)
    return x / rms(x)


def smooth_random(rng: np.random.Generator, n: int, corner_hz: float) -> np.ndarray:
    """A slowly varying random curve with unit standard deviation and bandwidth about corner_hz."""
    control_rate = 100.0
    count = int(n / SR * control_rate) + 2
    white = rng.standard_normal(count + 400)
    sigma = control_rate / (2 * np.pi * corner_hz)
    taps = np.exp(-0.5 * (np.arange(-4 * sigma, 4 * sigma + 1) / sigma) ** 2)
    curve = np.convolve(white, taps / taps.sum(), mode="same")[200: 200 + count]
    curve = (curve - curve.mean()) / curve.std()
    return np.interp(np.arange(n) / SR, np.arange(count) / control_rate, curve)


def tone(freq: np.ndarray | float, n: int, phase0: float) -> np.ndarray:
    inst = np.broadcast_to(np.asarray(freq, dtype=float), (n,))
    phase = 2 * np.pi * np.cumsum(inst) / SR
    return np.cos(phase + phase0)


def hvac_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Broadband air-handler noise (pink, rolled off above 2 kHz, 0.23 Hz level modulation) plus tones:
    motor hum at 120/240/360 Hz and a fan with 11 blades at 14.66 rev/s (blade-pass 161.3 Hz and its
    2nd and 3rd harmonics) whose speed wanders by about 0.2 %. Tones total -5 dB re the broadband part."""
    t = np.arange(n) / SR
    modulation = 1 + 0.12 * np.sin(2 * np.pi * 0.23 * t + rng.uniform(0, 2 * np.pi))
    broad = shaped_noise(rng, n, 1.0, high_cut=2000.0) * modulation
    wander = 1 + 0.002 * smooth_random(rng, n, 0.3)
    motor = [(120.0, 1.0), (240.0, 0.35), (360.0, 0.2)]
    blade_pass = 11 * 14.66
    fan = [(blade_pass * k, a) for k, a in ((1, 0.8), (2, 0.4), (3, 0.2))]
    tonal = sum(a * tone(f, n, rng.uniform(0, 2 * np.pi)) for f, a in motor)
    tonal = tonal + modulation * sum(a * tone(f * wander, n, rng.uniform(0, 2 * np.pi)) for f, a in fan)
    tonal *= rms(broad) * np.sqrt(10 ** (-5 / 10)) / rms(tonal)
    x = broad + tonal
    return x / rms(x), {"motor_hz": [f for f, _ in motor], "fan_blade_pass_hz": round(blade_pass, 2),
                        "fan_harmonics": 3, "tones_re_broadband_db": -5, "modulation_hz": 0.23,
                        "speed_wander": 0.002}


def traffic_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Distant traffic: brown noise low-passed at 250 Hz (4th-order Butterworth) plus tyre hiss 20 dB down,
    under an envelope of four passing-vehicle swells (Gaussian bumps, 0.6-1.5 s wide) on a 0.25 floor."""
    rumble = sosfilt(butter(4, 250, fs=SR, output="sos"), shaped_noise(rng, n, 2.0, low_cut=15.0))
    rumble /= rms(rumble)
    hiss = 0.1 * shaped_noise(rng, n, 1.0, high_cut=4000.0)
    t = np.arange(n) / SR
    envelope = np.full(n, 0.25)
    swells = []
    for _ in range(4):
        centre, width, peak = rng.uniform(0, t[-1]), rng.uniform(0.6, 1.5), rng.uniform(0.6, 1.0)
        envelope += peak * np.exp(-0.5 * ((t - centre) / width) ** 2)
        swells.append({"centre_s": round(centre, 3), "width_s": round(width, 3), "peak": round(peak, 3)})
    x = (rumble + hiss) * envelope
    return x / rms(x), {"lowpass_hz": 250, "hiss_db": -20, "swells": swells}


def babble_noise(rng: np.random.Generator, n: int, talkers: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """Sum of the babble talkers, each looped with 0.2-0.6 s gaps from a random offset, levels +-3 dB."""
    x = np.zeros(n)
    levels = []
    for voice in talkers:
        gap = np.zeros(int(rng.uniform(0.2, 0.6) * SR))
        unit = np.concatenate([voice, gap])
        looped = np.tile(unit, n // len(unit) + 2)
        offset = int(rng.integers(0, len(unit)))
        level_db = rng.uniform(-3, 3)
        x += looped[offset: offset + n] * 10 ** (level_db / 20)
        levels.append(round(level_db, 2))
    return x / rms(x), {"talkers": len(talkers), "levels_db": levels}


def burst_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Non-stationary: quiet pink room tone; at 40 % of the file an air conditioner (hvac_noise, 10 dB
    louder than the room tone) starts with a 0.3 s ramp; at 75 % a 0.5 s burst of white noise (a spray,
    6 dB over the room tone) with 20 ms ramps."""
    room = shaped_noise(rng, n, 1.0)
    ac, ac_params = hvac_noise(rng, n)
    start = int(0.40 * n)
    ramp = int(0.3 * SR)
    gate = np.zeros(n)
    gate[start: start + ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(min(ramp, n - start)) / ramp)
    gate[start + ramp:] = 1.0
    spray_start, spray_len, spray_ramp = int(0.75 * n), int(0.5 * SR), int(0.02 * SR)
    spray_gate = np.zeros(n)
    spray_gate[spray_start: spray_start + spray_len] = 1.0
    edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(spray_ramp) / spray_ramp)
    spray_gate[spray_start: spray_start + spray_ramp] = edge
    spray_gate[spray_start + spray_len - spray_ramp: spray_start + spray_len] = edge[::-1]
    x = room + 10 ** (10 / 20) * ac * gate + 10 ** (6 / 20) * shaped_noise(rng, n, 0.0) * spray_gate
    return x / rms(x), {"ac_start_s": round(start / SR, 3), "ac_level_db": 10, "ac": ac_params,
                        "spray_start_s": round(spray_start / SR, 3), "spray_seconds": 0.5, "spray_level_db": 6}


def decaying_bursts(rng: np.random.Generator, n: int, times: np.ndarray, amplitudes: np.ndarray,
                    decay_s: tuple[float, float], band: tuple[float, float]) -> np.ndarray:
    """Short noise bursts at `times` (s): band-passed white noise under an exponential decay (time constant
    drawn from decay_s), with a 1 ms attack, scaled by `amplitudes`."""
    x = np.zeros(n)
    sos = butter(2, band, btype="bandpass", fs=SR, output="sos")
    for t0, a in zip(times, amplitudes):
        tau = rng.uniform(*decay_s)
        length = min(int(6 * tau * SR), n)
        start = int(t0 * SR)
        if start >= n or length < 8:
            continue
        k = np.arange(length)
        env = np.exp(-k / (tau * SR)) * np.minimum(k / (0.001 * SR), 1.0)
        burst = sosfilt(sos, rng.standard_normal(length)) * env
        end = min(n, start + length)
        x[start:end] += a * burst[: end - start] / (np.max(np.abs(burst)) + 1e-12)
    return x


def wind_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Wind on a microphone: brown noise low-passed at 200 Hz (2nd order) under a gust envelope
    exp(0.8 * slow random curve, 0.4 Hz corner), plus buffeting: low-passed bursts (60-300 Hz, 40-120 ms) at
    about 1.5 per second, stronger in the gusts."""
    t = np.arange(n) / SR
    gust = np.exp(0.8 * smooth_random(rng, n, 0.4))
    rumble = sosfilt(butter(2, 200, fs=SR, output="sos"), shaped_noise(rng, n, 2.0, low_cut=10.0))
    rumble /= rms(rumble)
    count = rng.poisson(1.5 * t[-1])
    times = np.sort(rng.uniform(0, t[-1], count))
    amps = rng.uniform(0.5, 2.0, count) * np.interp(times, t, gust)
    buffet = decaying_bursts(rng, n, times, amps, (0.04, 0.12), (60.0, 300.0))
    x = rumble * gust + buffet * rms(rumble * gust) / max(rms(buffet), 1e-12) * 0.5
    return x / rms(x), {"lowpass_hz": 200, "gust_corner_hz": 0.4, "buffets": int(count)}


def rain_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Rain: a dense Poisson train of drops (400 per second; band-passed 1-12 kHz bursts, 2-8 ms decay,
    log-uniform levels over 24 dB) over a 2 kHz high-passed hiss 6 dB below the drops."""
    t_end = n / SR
    count = rng.poisson(400 * t_end)
    times = rng.uniform(0, t_end, count)
    amps = 10 ** (rng.uniform(-24, 0, count) / 20)
    drops = decaying_bursts(rng, n, times, amps, (0.002, 0.008), (1000.0, 12000.0))
    hiss = sosfilt(butter(2, 2000, btype="highpass", fs=SR, output="sos"), rng.standard_normal(n))
    x = drops / rms(drops) + 0.5 * hiss / rms(hiss)
    return x / rms(x), {"drops_per_second": 400, "hiss_db_re_drops": -6}


def cafe_noise(rng: np.random.Generator, n: int, talkers: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """Cafe: distant crowd (the babble talkers, each twice at random offsets, low-passed at 3 kHz as if
    across a room) plus crockery and cutlery: ringing clinks (decaying 2-6 kHz tones with a noise attack,
    about 2 per second) and a pink room tone 12 dB down."""
    crowd = np.zeros(n)
    for voice in talkers + talkers:
        unit = np.concatenate([voice, np.zeros(int(rng.uniform(0.1, 0.4) * SR))])
        looped = np.tile(unit, n // len(unit) + 2)
        offset = int(rng.integers(0, len(unit)))
        crowd += looped[offset: offset + n] * 10 ** (rng.uniform(-6, 0) / 20)
    crowd = sosfilt(butter(2, 3000, fs=SR, output="sos"), crowd)
    crowd /= rms(crowd)
    t_end = n / SR
    count = rng.poisson(2.0 * t_end)
    clinks = np.zeros(n)
    for t0 in rng.uniform(0, t_end, count):
        start = int(t0 * SR)
        length = min(int(0.25 * SR), n - start)
        k = np.arange(length) / SR
        ring = sum(np.cos(2 * np.pi * f * k + rng.uniform(0, 2 * np.pi)) * np.exp(-k / rng.uniform(0.02, 0.08))
                   for f in rng.uniform(2000, 6000, 3))
        ring += rng.standard_normal(length) * np.exp(-k / 0.002)
        clinks[start: start + length] += rng.uniform(0.3, 1.0) * ring
    room = shaped_noise(rng, n, 1.0)
    x = crowd + 0.4 * clinks * rms(crowd) / max(rms(clinks), 1e-12) + 0.25 * room
    return x / rms(x), {"talkers": 2 * len(talkers), "crowd_lowpass_hz": 3000, "clinks": int(count)}


def fan_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """A desk or computer fan: band-limited broadband noise (pink, 100 Hz-6 kHz) plus strong tones: blade
    pass at 87 Hz with 4 harmonics, and a motor whine at 1180 Hz and 2360 Hz, wandering 0.5 %. The tones
    together are as loud as the broadband part."""
    broad = shaped_noise(rng, n, 1.0, low_cut=100.0, high_cut=6000.0)
    wander = 1 + 0.005 * smooth_random(rng, n, 0.2)
    blade = [(87.0 * k, a) for k, a in ((1, 1.0), (2, 0.6), (3, 0.4), (4, 0.25), (5, 0.15))]
    whine = [(1180.0, 0.35), (2360.0, 0.15)]
    tonal = sum(a * tone(f * wander, n, rng.uniform(0, 2 * np.pi)) for f, a in blade + whine)
    tonal *= rms(broad) / rms(tonal)
    x = broad + tonal
    return x / rms(x), {"blade_pass_hz": 87.0, "harmonics": 5, "whine_hz": [1180.0, 2360.0],
                        "tones_re_broadband_db": 0, "speed_wander": 0.005}


def keyboard_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Typing and desk clatter: key clicks (band-passed 1-8 kHz bursts, 8-25 ms decay, 5-12 per second in
    typing runs of 1-3 s with pauses), a few thumps (100-800 Hz, 20-40 ms, peaks up to
    the clicks'), over a pink room tone 9 dB below the clicks; peaks soft-limited (tanh) to a crest of about
    13 dB."""
    t_end = n / SR
    times, amps = [], []
    t = rng.uniform(0, 0.5)
    while t < t_end:
        run_end = t + rng.uniform(1.0, 3.0)
        while t < min(run_end, t_end):
            times.append(t)
            amps.append(rng.uniform(0.4, 1.0))
            t += rng.uniform(0.08, 0.2)
        t += rng.uniform(0.3, 1.2)
    clicks = decaying_bursts(rng, n, np.array(times), np.array(amps), (0.008, 0.025), (1000.0, 8000.0))
    count = rng.poisson(0.5 * t_end)
    thumps = decaying_bursts(rng, n, rng.uniform(0, t_end, count), rng.uniform(1.0, 2.0, count), (0.02, 0.04),
                             (100.0, 800.0))
    room = shaped_noise(rng, n, 1.0)
    x = clicks + 0.5 * thumps + 0.35 * rms(clicks) * room
    x = 4.0 * np.tanh(x / rms(x) / 4.0)  # the peaks soft-limited at 12 dB over the RMS, so 0 dB SNR cannot clip
    return x / rms(x), {"clicks": len(times), "thumps": int(count), "room_db_re_clicks": -9}


def music_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Background music: a chord progression (four triads, one every 0.6 s, each note with 6 harmonics and a
    plucked decay), a bass note an octave below the root, and a hi-hat (8-16 kHz noise bursts on the eighth
    notes) - tonal, harmonic and rhythmic, like a radio playing on set."""
    t_end = n / SR
    roots = [57, 53, 48, 55]  # A3, F3, C3, G3 (MIDI)
    beat = 0.6
    x = np.zeros(n)
    start_offset = rng.uniform(0, beat)
    step = 0
    t0 = -start_offset
    while t0 < t_end:
        root = roots[step % len(roots)] + int(rng.integers(-1, 2)) * 0
        minor = step % 4 in (0,)
        notes = [root, root + (3 if minor else 4), root + 7, root - 12]
        a0 = max(0, int(t0 * SR))
        length = min(int(1.2 * SR), n - a0)
        if length > 0:
            k = (np.arange(length) + (a0 - int(t0 * SR))) / SR
            for j, m in enumerate(notes):
                f = 440.0 * 2 ** ((m - 69) / 12)
                level = 1.0 if j < 3 else 1.4
                for h in range(1, 7):
                    if f * h < SR / 2:
                        x[a0: a0 + length] += (level / h * np.exp(-k / (0.5 / h))
                                               * np.sin(2 * np.pi * f * h * k + rng.uniform(0, 2 * np.pi)))
        t0 += beat
        step += 1
    hats = np.arange(-start_offset, t_end, beat / 2)
    hats = hats[hats >= 0]
    hihat = decaying_bursts(rng, n, hats, rng.uniform(0.5, 1.0, len(hats)), (0.01, 0.03), (8000.0, 16000.0))
    x = x / rms(x) + 0.3 * hihat / max(rms(hihat), 1e-12)
    return x / rms(x), {"chords": "Am F C G", "beat_s": beat, "harmonics": 6, "hihat_db": -10.5}


def buzz_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """Electrical buzz (a ground loop or a dimmer): a 50 Hz pulse train (every harmonic to 8 kHz, levels
    -6 dB per octave, random phases, 2 % jitter in level per harmonic) plus a pink floor 6 dB down."""
    f0 = 50.0
    t = np.arange(n) / SR
    tonal = np.zeros(n)
    for k in range(1, int(8000 // f0) + 1):
        tonal += (1.0 / k) * (1 + 0.02 * rng.standard_normal()) * np.cos(2 * np.pi * k * f0 * t
                                                                         + rng.uniform(0, 2 * np.pi))
    tonal /= rms(tonal)
    x = tonal + 0.5 * shaped_noise(rng, n, 1.0)
    return x / rms(x), {"f0_hz": f0, "top_hz": 8000, "floor_db": -6}


def make_noise(kind: str, n: int, seed: int, talkers: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    if kind == "white":
        return shaped_noise(rng, n, 0.0), {"psd_slope": "f^0"}
    if kind == "pink":
        return shaped_noise(rng, n, 1.0), {"psd_slope": "f^-1", "low_cut_hz": 20}
    if kind == "brown":
        return shaped_noise(rng, n, 2.0), {"psd_slope": "f^-2", "low_cut_hz": 20}
    if kind == "hvac":
        return hvac_noise(rng, n)
    if kind == "traffic":
        return traffic_noise(rng, n)
    if kind == "babble":
        return babble_noise(rng, n, talkers)
    if kind == "bursts":
        return burst_noise(rng, n)
    if kind == "wind":
        return wind_noise(rng, n)
    if kind == "rain":
        return rain_noise(rng, n)
    if kind == "cafe":
        return cafe_noise(rng, n, talkers)
    if kind == "fan":
        return fan_noise(rng, n)
    if kind == "keyboard":
        return keyboard_noise(rng, n)
    if kind == "music":
        return music_noise(rng, n)
    if kind == "buzz":
        return buzz_noise(rng, n)
    raise ValueError(kind)


# ---------------------------------------------------------------- hum


def hum_spec(kind: str, rng: np.random.Generator) -> dict:
    """Fundamental model, harmonic relative levels (dB re the strongest) and frequency limit."""
    def mains(k: int) -> float:
        # a typical mains pattern: -20 log10(k), with even harmonics a further 6 dB down
        return -20 * np.log10(k) - (0.0 if k % 2 else 6.0)

    if kind in ("mains50", "swell"):
        f0, top, levels = 50.0, 1000.0, mains
    elif kind in ("mains60", "hum_noise", "drift"):
        f0, top, levels = 60.0, 1000.0, mains
    elif kind == "irregular":
        f0, top = 60.0, 2000.0
        table = {k: rng.uniform(-30.0, -6.0) for k in range(1, 34)}
        table[1], table[3] = -6.0, 0.0  # the 3rd dominates, as on many real recordings

        def levels(k: int) -> float:
            return table[k]
    elif kind == "buzz":
        f0, top = 60.0, 4000.0

        def levels(k: int) -> float:
            # odd-dominant buzz (like a rectifier/dimmer): odd harmonics fall slowly (-10 log10 k),
            # even ones are 25 dB lower; runs to ~4 kHz
            return -10 * np.log10(k) - (0.0 if k % 2 else 25.0)
    else:
        raise ValueError(kind)
    count = int(top // (f0 + (0.3 if kind == "drift" else 0.0)))
    rel = np.array([levels(k) for k in range(1, count + 1)], dtype=float)
    rel -= rel.max()
    return {"f0_hz": f0, "harmonics": count, "levels_db_re_strongest": rel}


def synth_hum(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, dict, np.ndarray]:
    """Unit-RMS hum (before the swell envelope), its parameters, and the per-sample f0 track."""
    spec = hum_spec(kind, rng)
    t = np.arange(n) / SR
    if kind == "drift":
        f0_track = 59.7 + 0.6 * t / t[-1]  # linear drift 59.7 -> 60.3 Hz over the file
        f0_model = {"type": "linear", "start_hz": 59.7, "end_hz": 60.3}
    else:
        f0_track = np.full(n, spec["f0_hz"])
        f0_model = {"type": "constant", "hz": spec["f0_hz"]}
    phase = 2 * np.pi * np.cumsum(f0_track) / SR
    amplitudes = 10 ** (spec["levels_db_re_strongest"] / 20)
    phases = rng.uniform(0, 2 * np.pi, spec["harmonics"])
    x = np.zeros(n)
    for k in range(1, spec["harmonics"] + 1):
        x += amplitudes[k - 1] * np.cos(k * phase + phases[k - 1])
    scale = 1 / rms(x)
    params = {"f0_model": f0_model, "f0_mean_hz": float(np.mean(f0_track)),
              "harmonic_numbers": list(range(1, spec["harmonics"] + 1)),
              "levels_db_re_strongest": [round(v, 2) for v in spec["levels_db_re_strongest"]],
              "unit_amplitudes": (amplitudes * scale).tolist(), "phases_rad": phases.tolist()}
    return x * scale, params, f0_track


# ---------------------------------------------------------------- assembling


def place(speech_samples: np.ndarray) -> np.ndarray:
    lead, tail = int(qlib.LEAD_IN_SECONDS * SR), int(qlib.TAIL_SECONDS * SR)
    return np.concatenate([np.zeros(lead), speech_samples, np.zeros(tail)])


def active_power(x: np.ndarray, mask: np.ndarray) -> float:
    return float(np.mean(x[mask] ** 2))


def noises_for(index: int) -> list[str]:
    """The noise types of the index-th utterance (see NOISES_PER_UTTERANCE)."""
    k = len(NOISE_TYPES)
    return [NOISE_TYPES[(NOISES_PER_UTTERANCE * index + j + index // 7) % k] for j in range(NOISES_PER_UTTERANCE)]


def build(count: int, out: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    manifest = {"plan": PLAN, "sample_rate": SR, "lead_in_seconds": qlib.LEAD_IN_SECONDS, "tail_seconds": qlib.TAIL_SECONDS,
                "active_level_dbfs": qlib.ACTIVE_LEVEL_DBFS, "clean": [], "denoise": [], "dehum": [],
                "definitions": {
                    "active_frames": "20 ms frames of the clean file with RMS within 40 dB of the loudest",
                    "snr_db": "10 log10(mean clean^2 / mean noise^2) over the active frames",
                    "hum_to_speech_db": "10 log10(mean hum^2 / mean clean^2) over the active frames"}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        talkers = []
        for tid, engine, voice, text in BABBLE_TALKERS:
            x, _ = speech(engine, voice, text, tmp, fit=False)
            talkers.append(set_active_level(x, qlib.ACTIVE_LEVEL_DBFS))
        for index, (uid, engine, voice, text) in enumerate(UTTERANCES[:count]):
            spoken, stretch = speech(engine, voice, text, tmp, fit=True)
            clean = place(set_active_level(spoken, qlib.ACTIVE_LEVEL_DBFS))
            n = len(clean)
            mask = qlib.active_mask(clean)
            p_speech = active_power(clean, mask)
            clean_path = out / "clean" / f"{uid}.wav"
            qlib.write_float(clean_path, clean)
            clean_info = {"id": uid, "engine": engine, "voice": voice, "text": text, "rate_stretch": stretch,
                          "speech_seconds": round(len(spoken) / SR, 3), "file_seconds": round(n / SR, 3),
                          "peak_dbfs": round(20 * np.log10(np.abs(clean).max()), 2),
                          "active_fraction": round(float(mask.mean()), 3)}
            (out / "clean" / f"{uid}.json").write_text(json.dumps(clean_info, indent=1))
            manifest["clean"].append({**clean_info, "path": str(clean_path.relative_to(out))})

            for kind in noises_for(index):
                noise, noise_params = make_noise(kind, n, qlib.seed_for("noise", uid, kind), talkers)
                p_noise = active_power(noise, mask)
                for snr in SNRS_DB:
                    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr / 10)))
                    noisy = clean + gain * noise
                    measured = qlib.db(p_speech / active_power(gain * noise, mask))
                    name = f"{uid}_{kind}_{snr:02d}dB"
                    path = out / "denoise" / f"{name}.wav"
                    qlib.write_float(path, noisy)
                    info = {"id": name, "utterance": uid, "source": engine, "noise": kind, "snr_db": snr,
                            "measured_snr_db": round(measured, 3), "noise_gain": float(gain),
                            "noise_seed": qlib.seed_for("noise", uid, kind), "noise_params": noise_params,
                            "peak_dbfs": round(20 * np.log10(np.abs(noisy).max()), 2),
                            "clean": str(clean_path.relative_to(out)), "noisy": str(path.relative_to(out))}
                    if np.abs(noisy).max() >= 1.0:
                        raise RuntimeError(f"{name} would clip")
                    path.with_suffix(".json").write_text(json.dumps(info, indent=1))
                    manifest["denoise"].append(info)

            for j, kind in enumerate(HUM_TYPES if index < HUM_UTTERANCES else []):
                rng = np.random.default_rng(qlib.seed_for("hum", uid, kind))
                hum, params, f0_track = synth_hum(kind, n, rng)
                t = np.arange(n) / SR
                envelope_db = None
                if kind == "swell":
                    # one swell: -20 dB at the ends, 0 dB in the middle (sin^2 in dB)
                    envelope_db = -20 + 20 * np.sin(np.pi * t / t[-1]) ** 2
                    hum = hum * 10 ** (envelope_db / 20)
                level = HUM_LEVELS_DB[(index + j) % len(HUM_LEVELS_DB)]
                gain = np.sqrt(p_speech * 10 ** (level / 10) / active_power(hum, mask))
                hum = gain * hum
                extra = np.zeros(n)
                noise_info = None
                if kind == "hum_noise":
                    pink = shaped_noise(rng, n, 1.0)
                    extra = pink * np.sqrt(p_speech * 10 ** (-20 / 10) / active_power(pink, mask))
                    noise_info = {"type": "pink", "snr_db": 20}
                noisy = clean + hum + extra
                if np.abs(noisy).max() >= 1.0:
                    raise RuntimeError(f"{uid}_{kind} would clip")
                name = f"{uid}_{kind}"
                path = out / "dehum" / f"{name}.wav"
                qlib.write_float(path, noisy)
                hop = SR // 100
                amplitudes = [a * gain for a in params.pop("unit_amplitudes")]
                info = {"id": name, "utterance": uid, "source": engine, "hum": kind, "hum_to_speech_db": level,
                        "measured_hum_to_speech_db": round(qlib.db(active_power(hum, mask) / p_speech), 3),
                        "hum_rms_dbfs": round(qlib.db(float(np.mean(hum ** 2))), 2), **params,
                        "amplitudes": amplitudes,
                        "f0_track_hop_seconds": hop / SR,
                        "f0_track_hz": [round(v, 5) for v in f0_track[::hop]],
                        "envelope_db_hop_seconds": hop / SR if envelope_db is not None else None,
                        "envelope_db": None if envelope_db is None else [round(v, 3) for v in envelope_db[::hop]],
                        "noise": noise_info, "clean": str(clean_path.relative_to(out)),
                        "noisy": str(path.relative_to(out))}
                path.with_suffix(".json").write_text(json.dumps(info, indent=1))
                manifest["dehum"].append({k: info[k] for k in ("id", "utterance", "source", "hum", "hum_to_speech_db",
                                                                "clean", "noisy")})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


# ---------------------------------------------------------------- the de-hum corpus (issue 19)
#
# Its own folder (DEHUM_CORPUS_DIR, outside corpus/, so rebuilding either corpus never touches the other) and its
# own manifest. Every file is a mixture <id>.wav with its stems beside it: <id>.clean.wav (the speech),
# <id>.hum.wav (the exact hum added) and, for the types with noise, <id>.noise.wav; mixture = clean + hum + noise
# (each stem and the mixture written as 32-bit float). The JSON holds the hum's f0 control track (humlib: 100
# points per second, full precision, linearly interpolated per sample), its harmonic numbers, levels and phases.
#
# The seven earlier types (HUM_TYPES, first five utterances, 48 kHz) are made exactly as build() makes them, so
# their mixtures are the earlier corpus's de-hum files sample for sample. The wobbling types (DEHUM_NEW_TYPES)
# have four files each: three synthetic voices and one real one (r1 or r2), sample rates rotating over 48, 44.1
# and 96 kHz.

DEHUM_CORPUS_DIR = qlib.WORK_DIR / "dehum_corpus"
DEHUM_NEW_TYPES = ["sine_drift", "walk", "step", "weak", "am", "buzz_wobble", "hum_pink", "hum_hvac", "midword"]
DEHUM_TYPES = HUM_TYPES + DEHUM_NEW_TYPES
# Steady hum: constant f0 and level, no noise (issue 19's -45 dB target); the others get the -35 dB target.
DEHUM_STEADY = ["mains50", "mains60", "irregular", "buzz", "weak", "midword"]
DEHUM_RATES = [48000, 44100, 96000]
DEHUM_SYNTHETIC = ["u1", "u2", "u3", "u4"]
DEHUM_REAL = ["r1", "r2"]
DEHUM_PLAN = {"version": 1, "types": DEHUM_TYPES, "rates": DEHUM_RATES, "synthetic": DEHUM_SYNTHETIC,
              "real": DEHUM_REAL, "old_levels_db": HUM_LEVELS_DB}
DEHUM_DESCRIPTIONS = {
    "mains50": "50 Hz, harmonics to 1 kHz at -20 log10 k dB, even ones 6 dB lower",
    "mains60": "the same at 60 Hz",
    "irregular": "60 Hz, random levels to 2 kHz, the 3rd strongest",
    "buzz": "60 Hz, odd harmonics at -10 log10 k dB, even ones 25 dB lower, to 4 kHz",
    "drift": "60 Hz mains, f0 rising linearly 59.7 -> 60.3 Hz over the file",
    "hum_noise": "60 Hz mains under pink noise at 20 dB SNR",
    "swell": "50 Hz mains, level -20 -> 0 -> -20 dB over the file (sin^2 in dB)",
    "sine_drift": "mains (50 or 60 Hz), f0 swinging sinusoidally by +-0.1 to 1 Hz with a period of 3-20 s",
    "walk": "mains, f0 a random walk (Brownian, 0.25 Hz per sqrt(s): about +-0.6 Hz over a take)",
    "step": "mains, f0 steps by 0.3 Hz (down or up) within 0.5 s (raised cosine) at 35-65 % of the take: a "
            "generator's load change",
    "weak": "mains, steady, 20-25 dB under the voice",
    "am": "mains, steady f0, level modulated at 0.1-1 Hz with 30 % depth",
    "buzz_wobble": "the `buzz` series (odd harmonics to 4 kHz) with f0 swinging by +-0.1 to 0.5 Hz, period 3-10 s",
    "hum_pink": "mains, steady, under pink noise at 10 dB SNR",
    "hum_hvac": "50 Hz mains, steady, under HVAC noise (corpus `hvac`: motor tones at 120/240/360 Hz, fan tones "
                "near 161 Hz, 0.23 Hz level swing) at 10 dB SNR",
    "midword": "mains, steady, in a take cut to start and end inside a word (no lead-in, no tail)",
}


def _mains_level(k: int) -> float:
    return -20 * np.log10(k) - (0.0 if k % 2 else 6.0)


def _buzz_level(k: int) -> float:
    return -10 * np.log10(k) - (0.0 if k % 2 else 25.0)


def _resample(x: np.ndarray, rate: int, from_rate: int = SR) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    if rate == from_rate:
        return x.copy()
    g = gcd(rate, from_rate)
    return resample_poly(x, rate // g, from_rate // g)


def _noise_at(kind: str, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS pink or hvac noise of n samples at `rate` (made at 48 kHz and resampled)."""
    n48 = int(np.ceil(n * SR / rate)) + 64
    x = shaped_noise(rng, n48, 1.0) if kind == "pink" else hvac_noise(rng, n48)[0]
    y = _resample(x, rate)[:n]
    return y / rms(y)


def _wobble_hum(kind: str, n: int, rate: int, rng: np.random.Generator, f_nominal: float, index: int,
                wobble: tuple[float, float, float] | None = None):
    """Unit-RMS hum of a new type at `rate`, its parameters and its f0 control track (humlib). `wobble`: (depth
    Hz, shortest and longest period s) for `sine_drift` and `buzz_wobble` instead of their ranges (held-back set)."""
    import humlib

    count = int(np.ceil(n / rate * humlib.CONTROL_RATE)) + 2
    tc = np.arange(count) / humlib.CONTROL_RATE
    duration = n / rate
    model: dict = {"type": "constant", "hz": f_nominal}
    control = np.full(count, f_nominal)
    envelope = None
    levels, top = _mains_level, 1000.0
    if kind == "sine_drift":
        depth, period, phase0 = rng.uniform(0.1, 1.0), rng.uniform(3.0, 20.0), rng.uniform(0, 2 * np.pi)
        if wobble is not None:
            depth, period = wobble[0], rng.uniform(wobble[1], wobble[2])
        control = f_nominal + depth * np.sin(2 * np.pi * tc / period + phase0)
        model = {"type": "sine", "centre_hz": f_nominal, "depth_hz": depth, "period_s": period, "phase_rad": phase0}
    elif kind == "buzz_wobble":
        levels, top = _buzz_level, 4000.0
        depth, period, phase0 = rng.uniform(0.1, 0.5), rng.uniform(3.0, 10.0), rng.uniform(0, 2 * np.pi)
        if wobble is not None:
            depth, period = wobble[0], rng.uniform(wobble[1], wobble[2])
        control = f_nominal + depth * np.sin(2 * np.pi * tc / period + phase0)
        model = {"type": "sine", "centre_hz": f_nominal, "depth_hz": depth, "period_s": period, "phase_rad": phase0}
    elif kind == "walk":
        sigma = 0.25  # Hz per sqrt(second)
        steps = rng.standard_normal(count) * sigma / np.sqrt(humlib.CONTROL_RATE)
        steps[0] = 0.0
        control = f_nominal + np.cumsum(steps)
        model = {"type": "random_walk", "start_hz": f_nominal, "sigma_hz_per_sqrt_s": sigma}
    elif kind == "step":
        at = rng.uniform(0.35, 0.65) * duration
        size = -0.3 if index % 2 == 0 else 0.3
        u = np.clip((tc - at) / 0.5, 0.0, 1.0)
        control = f_nominal + size * (0.5 - 0.5 * np.cos(np.pi * u))
        model = {"type": "step", "from_hz": f_nominal, "to_hz": f_nominal + size, "start_s": at,
                 "transition_s": 0.5, "shape": "raised cosine"}
    elif kind == "am":
        rate_hz, phase0 = rng.uniform(0.1, 1.0), rng.uniform(0, 2 * np.pi)
        t = np.arange(n) / rate
        envelope = 1 + 0.3 * np.sin(2 * np.pi * rate_hz * t + phase0)
        model["am"] = {"rate_hz": rate_hz, "depth": 0.3, "phase_rad": phase0}
    f0 = humlib.f0_per_sample(control, n, rate)
    harmonics = int(top // float(np.max(control)))
    rel = np.array([levels(k) for k in range(1, harmonics + 1)], dtype=float)
    rel -= rel.max()
    amplitudes = 10 ** (rel / 20)
    phases = rng.uniform(0, 2 * np.pi, harmonics)
    phase = humlib.phase_track(control, n, rate)
    x = np.zeros(n)
    for k in range(1, harmonics + 1):
        x += amplitudes[k - 1] * np.cos(k * phase + phases[k - 1])
    if envelope is not None:
        x *= envelope
    scale = 1 / rms(x)
    params = {"f0_model": model, "f0_mean_hz": float(np.mean(f0)), "harmonic_numbers": list(range(1, harmonics + 1)),
              "levels_db_re_strongest": [round(v, 2) for v in rel], "unit_amplitudes": (amplitudes * scale).tolist(),
              "phases_rad": phases.tolist()}
    return x * scale, params, control


def _scaled_hum_and_noise(kind: str, hum: np.ndarray, mask: np.ndarray, p_speech: float, level: float,
                          noise_db: float, rate: int, rng: np.random.Generator):
    """The unit hum scaled to `level` dB re the speech's active power, its gain, and for `hum_pink`/`hum_hvac` that
    noise at `noise_db` dB re the speech (else None) with its description."""
    gain = np.sqrt(p_speech * 10 ** (level / 10) / active_power(hum, mask))
    noise, noise_info = None, None
    if kind in ("hum_pink", "hum_hvac"):
        source = "pink" if kind == "hum_pink" else "hvac"
        raw = _noise_at(source, len(hum), rate, rng)
        noise = raw * np.sqrt(p_speech * 10 ** (noise_db / 10) / active_power(raw, mask))
        noise_info = {"type": source, "snr_db": int(round(-noise_db))}
    return gain * hum, gain, noise, noise_info


def _midword(clean: np.ndarray, rate: int) -> tuple[int, int]:
    """[start, end) of a take cut inside words: from the middle of the first 20 ms frame within 6 dB of the
    loudest that starts 0.4 s or more into the speech, to the middle of the last such frame ending 0.4 s or more
    before the speech ends."""
    frame = int(0.02 * rate)
    levels = qlib.frame_rms(clean, frame)
    loud = np.flatnonzero(levels >= levels.max() * 10 ** (-6 / 20))
    active = np.flatnonzero(levels >= levels.max() * 10 ** (-40 / 20))
    first, last = active[0] * frame, (active[-1] + 1) * frame
    starts = [i for i in loud if i * frame >= first + 0.4 * rate]
    ends = [i for i in loud if (i + 1) * frame <= last - 0.4 * rate]
    return starts[0] * frame + frame // 2, ends[-1] * frame + frame // 2


def _wobble_info(uid: str, engine: str, kind: str, level: float, hum: np.ndarray, mask: np.ndarray,
                 p_speech: float, params: dict, gain: float, control: np.ndarray, noise_info: dict | None,
                 cut: list[float] | None) -> dict:
    """The JSON of a take made by _wobble_hum (the de-hum corpus's newer types and the held-back set)."""
    import humlib

    amplitudes = [a * gain for a in params.pop("unit_amplitudes")]
    return {"utterance": uid, "source": engine, "hum": kind, "hum_to_speech_db": level,
            "measured_hum_to_speech_db": round(qlib.db(active_power(hum, mask) / p_speech), 3), **params,
            "amplitudes": amplitudes, "envelope": "am" if kind == "am" else None,
            "f0_control_rate": humlib.CONTROL_RATE, "f0_control_hz": control.tolist(),
            "noise": noise_info, "midword": cut is not None, "cut_seconds": cut}


def _write_dehum(out: Path, name: str, rate: int, clean: np.ndarray, hum: np.ndarray,
                 noise: np.ndarray | None, info: dict) -> dict:
    mixture = clean + hum + (noise if noise is not None else 0.0)
    if np.abs(mixture).max() >= 1.0:
        raise RuntimeError(f"{name} would clip")
    qlib.write_float(out / f"{name}.wav", mixture, rate)
    qlib.write_float(out / f"{name}.clean.wav", clean, rate)
    qlib.write_float(out / f"{name}.hum.wav", hum, rate)
    if noise is not None:
        qlib.write_float(out / f"{name}.noise.wav", noise, rate)
    info = {"id": name, "sample_rate": rate, "file_seconds": round(len(clean) / rate, 4), **info,
            "noisy": f"{name}.wav", "clean": f"{name}.clean.wav", "hum_stem": f"{name}.hum.wav",
            "noise_stem": f"{name}.noise.wav" if noise is not None else None}
    (out / f"{name}.json").write_text(json.dumps(info, indent=1))
    return info


def build_dehum(out: Path = DEHUM_CORPUS_DIR) -> dict:
    """Build the de-hum corpus (see the comment above DEHUM_CORPUS_DIR) and return its manifest."""
    import humlib

    _fresh_folder(out)
    manifest = {"plan": DEHUM_PLAN, "files": []}
    wanted = list(dict.fromkeys([u for u, *_ in UTTERANCES[:HUM_UTTERANCES]] + DEHUM_SYNTHETIC + DEHUM_REAL))
    spoken = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        for uid, engine, voice, text in UTTERANCES:
            if uid in wanted:
                x, _ = speech(engine, voice, text, Path(tmp_name), fit=True)
                spoken[uid] = (set_active_level(x, qlib.ACTIVE_LEVEL_DBFS), engine)
    # the earlier seven types, exactly as build() makes them
    for index, (uid, engine, *_rest) in enumerate(UTTERANCES[:HUM_UTTERANCES]):
        clean = place(spoken[uid][0])
        n = len(clean)
        mask = qlib.active_mask(clean)
        p_speech = active_power(clean, mask)
        for j, kind in enumerate(HUM_TYPES):
            rng = np.random.default_rng(qlib.seed_for("hum", uid, kind))
            hum, params, f0_track = synth_hum(kind, n, rng)
            t = np.arange(n) / SR
            envelope_db = None
            if kind == "swell":
                envelope_db = -20 + 20 * np.sin(np.pi * t / t[-1]) ** 2
                hum = hum * 10 ** (envelope_db / 20)
            level = HUM_LEVELS_DB[(index + j) % len(HUM_LEVELS_DB)]
            gain = np.sqrt(p_speech * 10 ** (level / 10) / active_power(hum, mask))
            hum = gain * hum
            noise = None
            if kind == "hum_noise":
                pink = shaped_noise(rng, n, 1.0)
                noise = pink * np.sqrt(p_speech * 10 ** (-20 / 10) / active_power(pink, mask))
            count = int(np.ceil(n / SR * humlib.CONTROL_RATE)) + 2
            tc = np.arange(count) / humlib.CONTROL_RATE
            control = (59.7 + 0.6 * tc / t[-1]) if kind == "drift" else np.full(count, params["f0_mean_hz"])
            amplitudes = [a * gain for a in params.pop("unit_amplitudes")]
            info = {"utterance": uid, "source": engine, "hum": kind, "hum_to_speech_db": level,
                    "measured_hum_to_speech_db": round(qlib.db(active_power(hum, mask) / p_speech), 3), **params,
                    "amplitudes": amplitudes, "envelope": "swell" if kind == "swell" else None,
                    "f0_control_rate": humlib.CONTROL_RATE, "f0_control_hz": control.tolist(),
                    "noise": {"type": "pink", "snr_db": 20} if noise is not None else None, "midword": False}
            manifest["files"].append(_write_dehum(out, f"{uid}_{kind}", SR, clean, hum, noise, info))
    # the wobbling types
    for t_index, kind in enumerate(DEHUM_NEW_TYPES):
        voices = [DEHUM_SYNTHETIC[(t_index + m) % len(DEHUM_SYNTHETIC)] for m in range(3)]
        voices.append(DEHUM_REAL[t_index % len(DEHUM_REAL)])
        for m, uid in enumerate(voices):
            rate = DEHUM_RATES[(4 * t_index + m) % len(DEHUM_RATES)]
            rng = np.random.default_rng(qlib.seed_for("dehum19", uid, kind, rate))
            x48, engine = spoken[uid]
            clean = np.concatenate([np.zeros(int(qlib.LEAD_IN_SECONDS * rate)),
                                    set_active_level(_resample(x48, rate), qlib.ACTIVE_LEVEL_DBFS),
                                    np.zeros(int(qlib.TAIL_SECONDS * rate))])
            cut = None
            if kind == "midword":
                start, end = _midword(clean, rate)
                clean = clean[start:end].copy()
                cut = [start / rate, end / rate]
            n = len(clean)
            mask = qlib.active_mask(clean, rate)
            p_speech = active_power(clean, mask)
            f_nominal = 50.0 if kind == "hum_hvac" else (50.0, 60.0)[(t_index + m) % 2]
            hum, params, control = _wobble_hum(kind, n, rate, rng, f_nominal, m)
            if kind == "weak":
                level = round(float(rng.uniform(-25.0, -20.0)), 1)
            else:
                level = HUM_LEVELS_DB[(t_index + m) % len(HUM_LEVELS_DB)]
            hum, gain, noise, noise_info = _scaled_hum_and_noise(kind, hum, mask, p_speech, level, -10.0, rate, rng)
            info = _wobble_info(uid, engine, kind, level, hum, mask, p_speech, params, gain, control, noise_info,
                                cut)
            name = f"{uid}_{kind}_{rate / 1000:g}k"
            manifest["files"].append(_write_dehum(out, name, rate, clean, hum, noise, info))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def _load_built(out: Path, plan: dict, build, what: str, rebuild: bool) -> dict:
    """The manifest in `out`, built by `build(out)` when missing, made for another plan, or asked to."""
    path = out / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else None
    if rebuild or manifest is None or manifest.get("plan") != json.loads(json.dumps(plan)):
        print(f"building {what} in {out} ...", file=sys.stderr)
        manifest = build(out)
    return manifest


def load_dehum(rebuild: bool = False, out: Path = DEHUM_CORPUS_DIR) -> dict:
    """The de-hum corpus's manifest, building it when missing, stale (another DEHUM_PLAN) or asked to."""
    return _load_built(out, DEHUM_PLAN, build_dehum, "the de-hum corpus", rebuild)


# ---------------------------------------------------------------- the held-back de-hum set (issue 19)
#
# Issue 19 asks for its targets "on your corpus and on a held-back set like the one above" (its table: 10 s takes;
# steady 50 and 60 Hz, weak 60 Hz 20 dB under the voice, 60 Hz with 30 % AM, 50 Hz under pink noise, generator
# wobble at 60 and 50 Hz of +-0.3 Hz with a period near 10 s, odd-harmonic buzz with wobble). This set is made the
# same way as the de-hum corpus but from what that corpus never uses: eight other voices (espeak-ng and flite, five
# languages), other sentences, other seeds, and about 10 s per take (two or three sentences of one voice, 0.6 s
# apart). Nothing in Scrim was tuned on it. It has no real voice: the corpus's two ALSA voices are the only ones
# on this machine and both are in the corpus already.

DEHUM_HELDOUT_DIR = qlib.WORK_DIR / "dehum_heldout"
DEHUM_HELDOUT_TYPES = ["mains50", "mains60", "weak", "am", "hum_pink", "wobble60", "wobble50", "buzz_wobble"]
DEHUM_HELDOUT_VOICES = ["u5", "u6", "u7", "u9", "u10", "u11", "u13", "u17"]
DEHUM_HELDOUT_SENTENCES = [
    "Quiet on set, this is a picture take, and we are rolling sound.",
    "The cable run goes under the porch, so mind your step when you cross.",
    "Give me a moment to swap the battery in the second radio microphone.",
    "We lost the light on the last setup, so we will finish the coverage tomorrow.",
    "Can everybody hold still, the refrigerator is cycling again in the next room.",
    "That was lovely, one more for safety and then we turn around on the other side.",
]
DEHUM_HELDOUT_PLAN = {"version": 1, "types": DEHUM_HELDOUT_TYPES, "voices": DEHUM_HELDOUT_VOICES,
                      "rates": DEHUM_RATES, "seconds": 10}
DEHUM_HELDOUT_DESCRIPTIONS = {
    "mains50": "50 Hz, harmonics to 1 kHz at -20 log10 k dB, even ones 6 dB lower",
    "mains60": "the same at 60 Hz",
    "weak": "60 Hz mains, steady, 20 dB under the voice",
    "am": "60 Hz mains, steady f0, level modulated at 0.1-1 Hz with 30 % depth",
    "hum_pink": "50 Hz mains, steady, 10 dB under the voice, under pink noise 15 dB under the voice (hum 5 dB over "
                "the noise, broadband: the oracle's SI-SDR improvement near the issue's +6.1 dB)",
    "wobble60": "60 Hz mains, f0 swinging sinusoidally by +-0.3 Hz with a period of 8-12 s",
    "wobble50": "50 Hz mains, f0 swinging sinusoidally by +-0.3 Hz with a period of 8-12 s",
    "buzz_wobble": "60 Hz odd-harmonic buzz to 4 kHz (-10 log10 k dB, even ones 25 dB lower), f0 swinging by +-0.3 Hz "
                   "with a period of 8-12 s",
}


def _sentences(engine: str, voice: str, first: int, sentences: list[str], tmp: Path) -> np.ndarray:
    """One voice speaking `sentences` in turn from index `first`, 0.6 s apart, until 8.4 s or more (48 kHz, at the
    corpus's active level)."""
    gap = np.zeros(int(0.6 * SR))
    parts, total, index = [], 0.0, first
    while total < 8.4:
        x, _ = speech(engine, voice, sentences[index % len(sentences)], tmp, fit=False)
        parts += ([gap] if parts else []) + [x]
        total += len(x) / SR + (0.6 if len(parts) > 1 else 0.0)
        index += 1
    return set_active_level(np.concatenate(parts), qlib.ACTIVE_LEVEL_DBFS)


def _ten_second_take(out: Path, name: str, uid: str, engine: str, x48: np.ndarray, kind: str, rate: int,
                     rng: np.random.Generator, index: int, f_nominal: float, level: float, noise_db: float) -> dict:
    """One take of the held-back or the spot-check set: the speech with the corpus's lead-in and tail at `rate`, a
    hum of `kind` (`mains50`/`mains60`/`hum_pink`/`hum_hvac` steady, `wobble50`/`wobble60` a sine drift, the
    others as _wobble_hum makes them, `index` its take index; the wobbling kinds +-0.3 Hz over 8-12 s) at `level`
    dB re the speech's active power, and for `hum_pink`/`hum_hvac` that noise at `noise_db` dB re the speech."""
    clean = np.concatenate([np.zeros(int(qlib.LEAD_IN_SECONDS * rate)),
                            set_active_level(_resample(x48, rate), qlib.ACTIVE_LEVEL_DBFS),
                            np.zeros(int(qlib.TAIL_SECONDS * rate))])
    n = len(clean)
    mask = qlib.active_mask(clean, rate)
    p_speech = active_power(clean, mask)
    model_kind = {"wobble60": "sine_drift", "wobble50": "sine_drift"}.get(kind, kind)
    wobble = (0.3, 8.0, 12.0) if kind in ("wobble60", "wobble50", "buzz_wobble") else None
    hum, params, control = _wobble_hum(model_kind, n, rate, rng, f_nominal, index, wobble)
    hum, gain, noise, noise_info = _scaled_hum_and_noise(kind, hum, mask, p_speech, level, noise_db, rate, rng)
    info = _wobble_info(uid, engine, kind, level, hum, mask, p_speech, params, gain, control, noise_info, None)
    return _write_dehum(out, name, rate, clean, hum, noise, info)


# The nominal mains frequency of the held-back set's types (the spot-check set draws 50 or 60 Hz for the others).
NOMINAL_HZ = {"mains50": 50.0, "hum_pink": 50.0, "wobble50": 50.0, "mains60": 60.0, "weak": 60.0, "am": 60.0,
              "wobble60": 60.0, "buzz_wobble": 60.0}


def _fresh_folder(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)


def build_dehum_heldout(out: Path = DEHUM_HELDOUT_DIR) -> dict:
    """Build the held-back de-hum set (see the comment above DEHUM_HELDOUT_DIR) and return its manifest."""
    _fresh_folder(out)
    manifest = {"plan": DEHUM_HELDOUT_PLAN, "files": []}
    voices = {uid: (engine, voice, text) for uid, engine, voice, text in UTTERANCES}
    spoken = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        for v_index, uid in enumerate(DEHUM_HELDOUT_VOICES):
            engine, voice, _text = voices[uid]
            spoken[uid] = (_sentences(engine, voice, v_index, DEHUM_HELDOUT_SENTENCES, Path(tmp_name)), engine)
    for t_index, kind in enumerate(DEHUM_HELDOUT_TYPES):
        for m in range(4):
            uid = DEHUM_HELDOUT_VOICES[(2 * t_index + m) % len(DEHUM_HELDOUT_VOICES)]
            rate = DEHUM_RATES[(t_index + m) % len(DEHUM_RATES)]
            rng = np.random.default_rng(qlib.seed_for("dehum19-heldout", uid, kind, rate))
            x48, engine = spoken[uid]
            f_nominal = NOMINAL_HZ[kind]
            level = {"weak": -20.0, "hum_pink": -10.0}.get(kind, HUM_LEVELS_DB[(t_index + m) % len(HUM_LEVELS_DB)])
            manifest["files"].append(_ten_second_take(out, f"h_{uid}_{kind}_{rate / 1000:g}k", uid, engine, x48, kind,
                                                      rate, rng, m, f_nominal, level, -15.0))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def load_dehum_heldout(rebuild: bool = False, out: Path = DEHUM_HELDOUT_DIR) -> dict:
    """The held-back de-hum set's manifest, building it when missing, stale or asked to."""
    return _load_built(out, DEHUM_HELDOUT_PLAN, build_dehum_heldout, "the held-back de-hum set", rebuild)


# ---------------------------------------------------------------- the spot-check de-hum set (issue 19)
#
# A third set, built in the eleventh session to see how the tracker does on takes drawn more widely than either set
# above: twelve types (the held-back set's eight, and a step, a random walk, a sine drift of 0.1-1 Hz over 3-20 s,
# and 50 or 60 Hz mains under HVAC noise), four takes each, each take's voice drawn from all nineteen utterances'
# voices (the two real ALSA voices among them), its sentences from the held-back set's and the babble talkers', its
# rate from 44.1, 48 and 96 kHz and its hum level from -20 to -5 dB (weak: -25 to -20), all by seeded draws. It was
# used in that session's experiments, so it is a spot check, not a held-back set.

DEHUM_SPOT_DIR = qlib.WORK_DIR / "dehum_spot"
DEHUM_SPOT_TYPES = DEHUM_HELDOUT_TYPES + ["step", "walk", "sine_drift", "hum_hvac"]
DEHUM_SPOT_PLAN = {"version": 1, "types": DEHUM_SPOT_TYPES, "takes_per_type": 4, "seconds": 10}
DEHUM_SPOT_DESCRIPTIONS = {
    **DEHUM_HELDOUT_DESCRIPTIONS,
    "mains50": "50 Hz, harmonics to 1 kHz at -20 log10 k dB, even ones 6 dB lower, -20 to -5 dB re the voice",
    "mains60": "the same at 60 Hz",
    "weak": "60 Hz mains, steady, 25 to 20 dB under the voice",
    "step": "50 or 60 Hz mains, f0 stepping by 0.3 Hz over 0.5 s (raised cosine) a third to two thirds in",
    "walk": "50 or 60 Hz mains, f0 a random walk of 0.25 Hz per root second",
    "sine_drift": "50 or 60 Hz mains, f0 swinging sinusoidally by 0.1-1 Hz with a period of 3-20 s",
    "hum_hvac": "50 or 60 Hz mains, steady, 10 dB under the voice, under HVAC noise (corpus `hvac`: motor tones at "
                "120/240/360 Hz, which are hum harmonics at 60 Hz and count as noise there) 15 dB under the voice",
}


def build_dehum_spot(out: Path = DEHUM_SPOT_DIR) -> dict:
    """Build the spot-check de-hum set (see the comment above DEHUM_SPOT_DIR) and return its manifest."""
    _fresh_folder(out)
    manifest = {"plan": DEHUM_SPOT_PLAN, "files": []}
    sentences = DEHUM_HELDOUT_SENTENCES + [text for *_, text in BABBLE_TALKERS]
    draw = np.random.default_rng(qlib.seed_for("dehum19-spot"))
    with tempfile.TemporaryDirectory() as tmp_name:
        for kind in DEHUM_SPOT_TYPES:
            for m in range(4):
                uid, engine, voice, _text = UTTERANCES[int(draw.integers(len(UTTERANCES)))]
                rate = DEHUM_RATES[int(draw.integers(len(DEHUM_RATES)))]
                x48 = _sentences(engine, voice, int(draw.integers(len(sentences))), sentences, Path(tmp_name))
                rng = np.random.default_rng(qlib.seed_for("dehum19-spot", uid, kind, rate, m))
                f_nominal = NOMINAL_HZ.get(kind) or (50.0, 60.0)[int(draw.integers(2))]
                if kind == "weak":
                    level = float(draw.uniform(-25.0, -20.0))
                elif kind in ("hum_pink", "hum_hvac"):
                    level = -10.0
                else:
                    level = float(draw.uniform(-20.0, -5.0))
                manifest["files"].append(_ten_second_take(out, f"s_{uid}_{kind}_{m}_{rate / 1000:g}k", uid, engine,
                                                          x48, kind, rate, rng, m, f_nominal, round(level, 1),
                                                          -15.0))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def load_dehum_spot(rebuild: bool = False, out: Path = DEHUM_SPOT_DIR) -> dict:
    """The spot-check de-hum set's manifest, building it when missing, stale or asked to."""
    return _load_built(out, DEHUM_SPOT_PLAN, build_dehum_spot, "the spot-check de-hum set", rebuild)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utterances", type=int, default=len(UTTERANCES),
                        help=f"how many (1-{len(UTTERANCES)}; default all)")
    parser.add_argument("--out", type=Path, default=qlib.CORPUS_DIR)
    parser.add_argument("--dehum-only", action="store_true",
                        help=f"build only the de-hum corpus (in {DEHUM_CORPUS_DIR}), not the denoise corpus")
    args = parser.parse_args()
    if args.dehum_only:
        manifest = build_dehum()
        print(f"{len(manifest['files'])} de-hum files in {DEHUM_CORPUS_DIR}")
        return 0
    if not 1 <= args.utterances <= len(UTTERANCES):
        parser.error(f"--utterances must be 1..{len(UTTERANCES)}")
    manifest = build(args.utterances, args.out)
    for c in manifest["clean"]:
        print(f"{c['id']}: {c['engine']} {c['voice']} speech {c['speech_seconds']} s (stretch "
              f"{c['rate_stretch']:.2f}), active {c['active_fraction']:.0%}")
    print(f"{len(manifest['denoise'])} noisy files, {len(manifest['dehum'])} hum files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
