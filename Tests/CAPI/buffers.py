#!/usr/bin/env python3
"""Proof of the C API's whole-buffer functions (ABI 2) from Python ctypes (standard library only).

Each function runs on a generated signal and is checked against the `scrim` CLI on the same samples written as a
32-bit float WAV: the audio must be bit-identical and the JSON report equal (apart from the envelope's paths and
the wall-clock keys). Then what each function promises is measured (hum removed, loudness on target, hum and
clipping found), the bad arguments are checked, and scrim_chain_create must refuse non-streamable stages.

usage: buffers.py LIBSCRIM_SO SCRIM_CLI WORK_DIR      (run by Tests/CAPI/run.sh)
"""
import array
import ctypes as C
import json
import math
import os
import struct
import subprocess
import sys

lib_path, cli, work = sys.argv[1:4]
# The buffer functions keep their temporaries in a private folder under $TMPDIR: point it at an empty folder here
# and check at the end that every call removed its own.
scratch_root = os.path.join(work, "tmpdir")
os.makedirs(scratch_root, exist_ok=True)
os.environ["TMPDIR"] = scratch_root
lib = C.CDLL(lib_path)

OK, INVALID, UNKNOWN_PRESET, CONFIGURATION, FILE, UNSUPPORTED = 0, 1, 2, 3, 4, 5
floatp = C.POINTER(C.c_float)
cstr = C.POINTER(C.c_char)

lib.scrim_abi_version.restype = C.c_int
lib.scrim_last_error.restype = C.c_char_p
lib.scrim_string_free.argtypes = [C.c_void_p]
for name in ("scrim_denoise_buffer", "scrim_dehum_buffer", "scrim_normalize_buffer", "scrim_analyze_buffer"):
    getattr(lib, name).argtypes = [C.POINTER(floatp), C.c_int, C.c_int64, C.c_double, C.c_char_p,
                                   C.POINTER(C.c_void_p)]
lib.scrim_process_buffer.argtypes = [C.c_char_p, C.POINTER(floatp), C.c_int, C.c_int64, C.c_double,
                                     C.POINTER(C.c_void_p)]
lib.scrim_match_buffers.argtypes = [C.POINTER(C.POINTER(floatp)), C.POINTER(C.c_int64), C.c_int, C.c_int,
                                    C.c_double, C.c_char_p, C.POINTER(C.c_void_p)]
lib.scrim_presets_json.argtypes = [C.POINTER(C.c_void_p)]
lib.scrim_chain_create.argtypes = [C.c_char_p, C.c_double, C.c_int, C.c_int, C.POINTER(C.c_void_p)]
lib.scrim_chain_destroy.argtypes = [C.c_void_p]
lib.scrim_meter_create.argtypes = [C.c_double, C.c_int, C.c_int, C.c_int, C.POINTER(C.c_void_p)]
lib.scrim_meter_add.argtypes = [C.c_void_p, C.POINTER(floatp), C.c_int, C.c_int]
lib.scrim_meter_result_json.argtypes = [C.c_void_p, C.POINTER(C.c_void_p)]
lib.scrim_meter_destroy.argtypes = [C.c_void_p]

failures = 0
checks = 0


def check(cond, message):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {message} (last error: {lib.scrim_last_error().decode(errors='replace')})", file=sys.stderr)


def take_string(pointer):
    if not pointer.value:
        return None
    text = C.string_at(pointer.value).decode()
    lib.scrim_string_free(pointer.value)
    return text


RATE = 48000


def lcg(seed):
    """Seeded uniform noise in [-0.5, 0.5) (a 31-bit LCG, reproducible everywhere)."""
    while True:
        seed = (seed * 1103515245 + 12345) % 2**31
        yield seed / 2**31 - 0.5


def signal(seconds, channels, hum_dbfs=None, noise_dbfs=-50.0, tone_dbfs=-20.0, seed=1):
    """Per channel: white noise at noise_dbfs RMS, a 220 Hz tone switching on and off every 0.5 s (a voice-like
    on/off pattern with room tone between) at tone_dbfs peak, and optional 50 Hz hum (harmonics 1-3 at
    hum_dbfs, -6, -12 dB). Returns (mix, hum stem) as lists of float lists."""
    n = int(seconds * RATE)
    noise_gain = 10 ** (noise_dbfs / 20) * math.sqrt(12)  # uniform noise of width 1 has RMS 1/sqrt(12)
    tone_gain = 10 ** (tone_dbfs / 20)
    mixes, hums = [], []
    for c in range(channels):
        rng = lcg(seed + 17 * c)
        hum_amp = 10 ** (hum_dbfs / 20) if hum_dbfs is not None else 0.0
        mix, stem = [], []
        for i in range(n):
            t = i / RATE
            on = (int(t / 0.5) % 2) == 1
            h = hum_amp * (math.sin(2 * math.pi * 50 * t + 0.3 * c) + 0.5 * math.sin(2 * math.pi * 100 * t + 1.0)
                           + 0.25 * math.sin(2 * math.pi * 150 * t + 2.0))
            x = noise_gain * next(rng) + (tone_gain * math.sin(2 * math.pi * 220 * t) if on else 0.0) + h
            mix.append(x)
            stem.append(h)
        mixes.append([struct.unpack("f", struct.pack("f", v))[0] for v in mix])
        hums.append(stem)
    return mixes, hums


def to_c(channels):
    arrays = [(C.c_float * len(ch))(*ch) for ch in channels]
    table = (floatp * len(arrays))(*[C.cast(a, floatp) for a in arrays])
    return arrays, table


def write_float_wav(path, channels):
    """A 32-bit float WAV (WAVE_FORMAT_IEEE_FLOAT, with the fact chunk), interleaved."""
    n, cc = len(channels[0]), len(channels)
    data = array.array("f", [channels[c][i] for i in range(n) for c in range(cc)])
    if sys.byteorder != "little":
        data.byteswap()
    payload = data.tobytes()
    fmt = struct.pack("<HHIIHHH", 3, cc, RATE, RATE * 4 * cc, 4 * cc, 32, 0)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, n)
            + b"data" + struct.pack("<I", len(payload)) + payload)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_float_wav(path):
    with open(path, "rb") as f:
        raw = f.read()
    pos, cc, fmt_tag, bits, data = 12, None, None, None, None
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt_tag, cc = struct.unpack("<HH", body[:4])
            bits = struct.unpack("<H", body[14:16])[0]
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    assert fmt_tag in (3, 0xFFFE) and bits == 32, f"{path}: not float32 ({fmt_tag}, {bits})"
    samples = array.array("f")
    samples.frombytes(data)
    if sys.byteorder != "little":
        samples.byteswap()
    return [list(samples[c::cc]) for c in range(cc)]


VOLATILE = {"elapsedSeconds", "realTimeFactor"}


def stable(value):
    """The report without the wall-clock keys (they differ between any two runs)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def run_cli(args):
    done = subprocess.run([cli] + args + ["--json"], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def compare_with_cli(label, function, channels, options, cli_args, writes=True, preset=None):
    """Runs `function` on a copy of `channels` and the CLI on the same samples; checks audio and report."""
    arrays, table = to_c(channels)
    out = C.c_void_p()
    if preset is not None:
        status = function(preset, table, len(arrays), len(channels[0]), RATE, C.byref(out))
    else:
        status = function(table, len(arrays), len(channels[0]), RATE, options, C.byref(out))
    check(status == OK, f"{label}: status {status}")
    report = json.loads(take_string(out) or "{}")
    result = [list(a) for a in arrays]
    src = os.path.join(work, f"{label}-in.wav")
    dst = os.path.join(work, f"{label}-out.wav")
    write_float_wav(src, channels)
    if os.path.exists(dst):
        os.remove(dst)
    code, cli_report = run_cli(cli_args(src, dst))
    check(code == 0, f"{label}: CLI exit {code}")
    check(report.get("input") is None and report.get("output") is None, f"{label}: envelope paths are null")
    check(report.get("status") == "done" and report.get("error") is None, f"{label}: status done")
    ours = stable({k: v for k, v in report.items() if k not in ("input", "output")})
    theirs = stable({k: v for k, v in cli_report.items() if k not in ("input", "output")})
    if ours != theirs:
        print(f"{label}: C API report {json.dumps(ours)[:2000]}\n CLI report {json.dumps(theirs)[:2000]}",
              file=sys.stderr)
    check(ours == theirs, f"{label}: the report equals the CLI's")
    if writes:
        cli_audio = read_float_wav(dst)
        same = cli_audio == result
        if not same:
            worst = max(abs(a - b) for ca, cb in zip(cli_audio, result) for a, b in zip(ca, cb))
            print(f"{label}: largest difference from the CLI {worst}", file=sys.stderr)
        check(same, f"{label}: audio bit-identical to the CLI's")
    else:
        check(result == channels, f"{label}: the buffer is only read")
    return report, result


def hum_level_db(residual, hum):
    """Coherent level of the hum left in `residual` (output minus the hum-free signal) relative to the hum added,
    dB: least-squares fit of sin and cos at 50, 100, 150 Hz over the whole signal, as PEERS.md advises (band power
    would count the noise and the tone near the harmonics as hum)."""
    def fitted_power(x):
        total = 0.0
        n = len(x)
        for f in (50, 100, 150):
            s = sum(v * math.sin(2 * math.pi * f * i / RATE) for i, v in enumerate(x))
            c = sum(v * math.cos(2 * math.pi * f * i / RATE) for i, v in enumerate(x))
            total += (2 * s / n) ** 2 + (2 * c / n) ** 2
        return total
    return 10 * math.log10(max(fitted_power(residual), 1e-30) / fitted_power(hum))


check(lib.scrim_abi_version() == 2, "ABI version 2")

# --- denoise: adaptive, learn auto, learn range; bit-identical to `scrim denoise` ---------------------------------
speechy, _ = signal(3.0, 2)
denoise = lib.scrim_denoise_buffer
rep, cleaned = compare_with_cli("denoise", denoise, speechy, None, lambda s, d: ["denoise", s, "-o", d])
check(rep.get("command") == "denoise" and rep.get("denoise", {}).get("mode") == "adaptive", "denoise: adaptive")
compare_with_cli("denoise-learn-auto", denoise, speechy, b'{"learn": "auto", "reductionDb": 18}',
                 lambda s, d: ["denoise", s, "-o", d, "--learn", "auto", "--reduction", "18"])
rep, _ = compare_with_cli("denoise-learn-range", denoise, speechy, b'{"learn": [0, 0.5]}',
                          lambda s, d: ["denoise", s, "-o", d, "--learn", "0-0.5"])
# The room tone of the first 0.5 s (noise at -50 dBFS RMS) is lowered: the floor after is below the floor before.
d = rep.get("denoise", {})
check(d.get("noiseFloorAfterDbfs") is not None and d.get("noiseFloorBeforeDbfs") is not None
      and d["noiseFloorAfterDbfs"] < d["noiseFloorBeforeDbfs"] - 6, f"denoise lowers the floor by > 6 dB: {d}")

# The neural engine (when the model is installed, as proof.py): the whole-take dialogue mode, as the CLI runs it.
model_folder = os.environ.get("SCRIM_MODEL_PATH") or os.path.join(
    os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share"),
    "scrim/models/DeepFilterNet3")
if os.path.exists(os.path.join(model_folder, "enc.onnx")):
    short, _ = signal(1.5, 1, seed=21)
    rep, _ = compare_with_cli("denoise-neural", denoise, short, b'{"engine": "neural", "reductionDb": 30}',
                              lambda s, d: ["denoise", s, "-o", d, "--engine", "neural", "--reduction", "30"])
    check(rep.get("denoise", {}).get("engine") == "neural", "neural: the report names the engine")
else:
    print(f"buffers.py: the DeepFilterNet3 model is not in {model_folder}: the neural comparison is skipped")
zeros_arrays, zeros_table = to_c([[0.0] * 100])
check(denoise(zeros_table, 1, 100, RATE, b'{"engine": "neural", "learn": "auto"}', None)
      == CONFIGURATION and b"learn" in lib.scrim_last_error(), "neural: learn is refused, naming it")

# --- dehum: auto detection then removal -------------------------------------------------------------------------
hummed, hum_stems = signal(4.0, 1, hum_dbfs=-30.0, seed=5)
clean = [[x - h for x, h in zip(hummed[0], hum_stems[0])]]
rep, dehummed = compare_with_cli("dehum", lib.scrim_dehum_buffer, hummed, None,
                                 lambda s, d: ["dehum", s, "-o", d])
dh = rep.get("dehum", {})
check(dh.get("detection", {}).get("present") is True and abs(dh["detection"]["fundamentalHz"] - 50) < 0.5,
      f"dehum finds 50 Hz: {dh.get('detection')}")
left_db = hum_level_db([y - x for y, x in zip(dehummed[0], clean[0])], hum_stems[0])
print(f"buffers.py: dehum leaves the hum at {left_db:.1f} dB re the hum added")
# Measured -57.0 dB on this signal (the tracker's own estimate in the report: -48.6 dB). The check asks for 40 dB,
# under 1 % of the hum's amplitude left: a steady hum 20 dB over the noise is what the tracker is built for, and the
# 17 dB margin covers its discrete choices (harmonic count, chunking) flipping on a rounding (see HumTrackerTests).
check(left_db < -40, f"dehum removes the 50 Hz hum by more than 40 dB: {left_db:.1f} dB")
quiet, _ = signal(4.0, 1, seed=9)
rep, untouched = compare_with_cli("dehum-none", lib.scrim_dehum_buffer, quiet, b'{"frequencyHz": null}',
                                  lambda s, d: ["dehum", s, "-o", d])
check(rep.get("dehum", {}).get("removedHarmonics") == [], f"no hum: nothing removed: {rep.get('dehum')}")
check(untouched == quiet, "no hum: the buffer is unchanged")
compare_with_cli("dehum-classic-50", lib.scrim_dehum_buffer, hummed, b'{"frequencyHz": 50, "engine": "classic"}',
                 lambda s, d: ["dehum", s, "-o", d, "--frequency", "50", "--engine", "classic"])

# --- normalize: target and ceiling --------------------------------------------------------------------------------
# A quiet take (a -40 dBFS tone) with clicks at -20 dBFS: the gain of about +20 dB lifts the clicks over the -1 dBTP
# ceiling, so the limiter must catch them (and only them).
quiet_take, _ = signal(6.0, 2, tone_dbfs=-40.0, noise_dbfs=-70.0, seed=3)
for ch in quiet_take:
    for k in range(1, 6):
        ch[k * RATE] = 0.1
rep, normalized = compare_with_cli("normalize", lib.scrim_normalize_buffer, quiet_take, None,
                                   lambda s, d: ["normalize", s, "-o", d])
meter = C.c_void_p()
check(lib.scrim_meter_create(RATE, 2, len(normalized[0]), 1, C.byref(meter)) == OK, "meter")
_, table = to_c(normalized)
check(lib.scrim_meter_add(meter, table, 2, len(normalized[0])) == OK, "meter add")
measured = C.c_void_p()
lib.scrim_meter_result_json(meter, C.byref(measured))
loud = json.loads(take_string(measured) or "{}")
lib.scrim_meter_destroy(meter)
print(f"buffers.py: normalize -> {loud.get('integratedLoudnessLufs')} LUFS, {loud.get('truePeakDbtp')} dBTP; "
      f"limiter {rep.get('normalize', {}).get('limiter')}")
check(abs(loud["integratedLoudnessLufs"] - (-23)) <= 0.1, f"normalize on target within 0.1 LU: {loud}")
# The ceiling is -1 dBTP; the meter's true peak (4x oversampled, BS.1770-4 annex 2) may read the limiter's own
# oversampled estimate up to its interpolation error, ~0.05 dB for 4x at these frequencies.
check(loud["truePeakDbtp"] <= -1 + 0.05, f"normalize under the -1 dBTP ceiling: {loud['truePeakDbtp']}")
compare_with_cli("normalize-opts", lib.scrim_normalize_buffer, quiet_take,
                 b'{"targetLufs": -16, "truePeakDbtp": -2, "limiter": false, "layout": "equal"}',
                 lambda s, d: ["normalize", s, "-o", d, "--target", "-16", "--true-peak", "-2", "--no-limiter",
                               "--layout", "equal"])

# --- analyze: hum and clipping found -----------------------------------------------------------------------------
clipped = [list(hummed[0]), list(quiet[0])]
for start in range(RATE, 3 * RATE, RATE // 4):
    for i in range(start, start + 8):
        clipped[1][i] = 1.0
rep, _ = compare_with_cli("analyze", lib.scrim_analyze_buffer, clipped, None, lambda s, d: ["analyze", s],
                          writes=False)
analysis = rep.get("analysis", {})
check(analysis.get("hum", {}).get("present") is True and abs(analysis["hum"]["fundamentalHz"] - 50) < 0.5,
      f"analyze finds the 50 Hz hum: {analysis.get('hum')}")
tracks = analysis.get("qc", {}).get("tracks", [{}, {}])
check(tracks[1].get("clipping", {}).get("runs", 0) >= 8 and tracks[0].get("clipping", {}).get("runs") == 0,
      f"analyze finds the 8 clipped runs on track 2 only: {[t.get('clipping') for t in tracks]}")
check(any(w.get("code") == "clipping" and w.get("track") == 2 for w in rep.get("warnings", [])),
      "a clipping warning for track 2")

# --- process_buffer: the whole preset, two-pass ---------------------------------------------------------------
rep, _ = compare_with_cli("process-dailies", lib.scrim_process_buffer, hummed, None,
                          lambda s, d: ["process", s, "-o", d, "--preset", "dailies"], preset=b"dailies")
check(rep.get("process", {}).get("loudness") is not None and rep["process"].get("dehum") is not None,
      "process_buffer ran the dehum and loudness stages")

# --- match: together and to a reference take ----------------------------------------------------------------
takes = [signal(2.0 + k, 2, tone_dbfs=-20.0 - 6 * k, seed=11 + k)[0] for k in range(3)]


def match_with_cli(label, options, cli_mode, reference=None):
    held = [to_c(take) for take in takes]
    table = (C.POINTER(floatp) * 3)(*[C.cast(t, C.POINTER(floatp)) for _, t in held])
    counts = (C.c_int64 * 3)(*[len(take[0]) for take in takes])
    out = C.c_void_p()
    check(lib.scrim_match_buffers(table, counts, 3, 2, RATE, options, C.byref(out)) == OK, f"{label}: status")
    lines_out = json.loads(take_string(out) or "[{}]")
    report = {"takes": lines_out[:-1], "matchSummary": lines_out[-1].get("matchSummary", {})}
    check(lines_out[-1].get("command") == "match" and lines_out[-1].get("input") is None, f"{label}: summary line")
    folder = os.path.join(work, label)
    paths = []
    for k, take in enumerate(takes):
        paths.append(os.path.join(work, f"{label}-take{k}.wav"))
        write_float_wav(paths[-1], take)
    matched = [k for k in range(3) if k != reference]
    args = [cli, "match"] + [paths[k] for k in matched] + ["-o", folder, "--json"] + cli_mode(paths)
    done = subprocess.run(args, capture_output=True, text=True)
    check(done.returncode == 0, f"{label}: CLI exit {done.returncode}: {done.stderr}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    cli_takes, cli_summary = lines[:-1], lines[-1]
    ours = [stable({k: v for k, v in line.items() if k not in ("input", "output")}) for line in report.get("takes", [])]
    theirs = [stable({k: v for k, v in line.items() if k not in ("input", "output")}) for line in cli_takes]
    check(ours == theirs, f"{label}: per-take reports equal the CLI's")
    summary = dict(report.get("matchSummary", {}))
    cli_sum = dict(cli_summary.get("matchSummary", {}))
    check(summary.pop("reference") == (None if reference is None else f"takes[{reference}]"), f"{label}: reference")
    cli_sum.pop("reference")
    check(summary == cli_sum, f"{label}: summary equals the CLI's: {summary} / {cli_sum}")
    for k in matched:
        cli_audio = read_float_wav(os.path.join(folder, os.path.basename(paths[k])))
        check(cli_audio == [list(a) for a in held[k][0]], f"{label}: take {k} bit-identical to the CLI's")
    if reference is not None:
        check([list(a) for a in held[reference][0]] == takes[reference], f"{label}: the reference is unchanged")
    return report


rep = match_with_cli("match-together", None, lambda p: ["--together"])
spread = rep.get("matchSummary", {})
check(spread.get("spreadBeforeLu", 0) > 10 and spread.get("spreadAfterLu", 99) < 0.1,
      f"match: 12 LU of spread before, under 0.1 LU after: {spread}")
match_with_cli("match-reference", b'{"reference": 0, "truePeakDbtp": -2}',
               lambda p: ["--reference", p[0], "--true-peak", "-2"], reference=0)
single_arrays, single_table = to_c(takes[0])
single = (C.POINTER(floatp) * 1)(C.cast(single_table, C.POINTER(floatp)))
check(lib.scrim_match_buffers(single, (C.c_int64 * 1)(len(takes[0][0])), 1, 2, RATE, None, None) == INVALID,
      "match: one take is not enough")
check(lib.scrim_match_buffers(None, None, 3, 2, RATE, None, None) == INVALID, "match: NULL takes")

# --- bad arguments ------------------------------------------------------------------------------------------------
one, one_table = to_c([[0.0] * 1000])
out = C.c_void_p()
for name in ("scrim_denoise_buffer", "scrim_dehum_buffer", "scrim_normalize_buffer", "scrim_analyze_buffer"):
    f = getattr(lib, name)
    check(f(None, 1, 1000, RATE, None, None) == INVALID and b"NULL" in lib.scrim_last_error(), f"{name}: NULL")
    check(f(one_table, 1, 0, RATE, None, None) == INVALID and b"0 frames" in lib.scrim_last_error(),
          f"{name}: 0 frames")
    sixty_five = (floatp * 65)(*([C.cast(one[0], floatp)] * 65))
    check(f(sixty_five, 65, 1000, RATE, None, None) == INVALID and b"65" in lib.scrim_last_error(),
          f"{name}: 65 channels")
    for rate in (0.0, -48000.0, float("nan"), 44100.5):
        check(f(one_table, 1, 1000, rate, None, None) == INVALID and b"sample_rate" in lib.scrim_last_error(),
              f"{name}: sample rate {rate}")
    check(f(one_table, 1, 1000, RATE, b'{"noSuchKey": 1}', C.byref(out)) == CONFIGURATION
          and b"noSuchKey" in lib.scrim_last_error() and not out.value, f"{name}: unknown option key")
    check(f(one_table, 1, 1000, RATE, b'{not json', None) == CONFIGURATION, f"{name}: malformed options")
    one[0][700] = float("nan")
    check(f(one_table, 1, 1000, RATE, None, None) == INVALID and b"channel 0 at frame 700" in lib.scrim_last_error(),
          f"{name}: NaN names channel and frame: {lib.scrim_last_error()}")
    one[0][700] = 0.0
check(lib.scrim_process_buffer(b"no-such-preset", one_table, 1, 1000, RATE, None) == UNKNOWN_PRESET,
      "process_buffer: unknown preset")
check(lib.scrim_process_buffer(None, one_table, 1, 1000, RATE, None) == INVALID, "process_buffer: NULL preset")
check(lib.scrim_denoise_buffer(one_table, 1, 1000, RATE, b'{"reductionDb": 99}', None) == CONFIGURATION
      and b"reductionDb" in lib.scrim_last_error(), "denoise: reductionDb out of range names the key")
check(lib.scrim_dehum_buffer(one_table, 1, 1000, RATE, b'{"engine": "magic"}', None) == CONFIGURATION,
      "dehum: unknown engine")
check(lib.scrim_normalize_buffer(one_table, 1, 1000, RATE, b'{"layout": "5.1"}', None) == CONFIGURATION
      and b"layout" in lib.scrim_last_error(), "normalize: a layout of another channel count")
# A failed call leaves the buffer unchanged.
before = list(hummed[0])
arr, tbl = to_c([before])
check(lib.scrim_dehum_buffer(tbl, 1, len(before), RATE, b'{"frequencyHz": 5}', None) == CONFIGURATION,
      "dehum: 5 Hz is out of range")
check(list(arr[0]) == before, "a failed call leaves the buffer unchanged")

# --- streaming chains refuse what cannot stream --------------------------------------------------------------
chain = C.c_void_p()
check(lib.scrim_chain_create(b"dailies", RATE, 2, 480, C.byref(chain)) == UNSUPPORTED and not chain.value,
      "chain_create(dailies) is SCRIM_ERROR_UNSUPPORTED")
message = lib.scrim_last_error()
check(b"dehum" in message and b"loudness" in message and b"scrim_process_buffer" in message,
      f"the message names the stages and scrim_process_buffer: {message}")
fixed = b'{"name": "fixed", "dehum": {"frequencyHz": 50}, "denoise": {"reductionLimitDb": 12}}'
check(lib.scrim_chain_create(fixed, RATE, 2, 480, C.byref(chain)) == OK, "a streamable preset still streams")
lib.scrim_chain_report_json.argtypes = [C.c_void_p, C.POINTER(C.c_void_p)]
chain_json = C.c_void_p()
check(lib.scrim_chain_report_json(chain, C.byref(chain_json)) == OK, "chain report")
chain_report = json.loads(take_string(chain_json) or "{}")
check({"stage": "dehum", "engine": "classic"} in chain_report.get("stages", [])
      and chain_report.get("omittedStages") == [],
      f"the fixed de-hum streams with the classic remover, and says so: {chain_report}")
lib.scrim_chain_destroy(chain)
auto_only = b'{"name": "auto-hum", "dehum": {}}'
check(lib.scrim_chain_create(auto_only, RATE, 2, 480, C.byref(chain)) == UNSUPPORTED
      and b"dehum" in lib.scrim_last_error() and b"loudness" not in lib.scrim_last_error(),
      "automatic de-hum alone is refused, naming only it")
listed = C.c_void_p()
check(lib.scrim_presets_json(C.byref(listed)) == OK, "presets_json")
presets = {p["name"]: p["streamable"] for p in json.loads(take_string(listed) or "[]")}
check(presets.get("dailies") is False and presets.get("denoise-only") is True, f"presets_json: {presets}")

# --- two threads at once (ctypes releases the GIL during the call): the same results as one after the other -----
import threading

thread_results = {}


def denoise_in_thread(key, channels):
    arrays, table = to_c(channels)
    thread_results[key] = (lib.scrim_denoise_buffer(table, len(arrays), len(channels[0]), RATE, None, None),
                           [list(a) for a in arrays])


threads = [threading.Thread(target=denoise_in_thread, args=(k, speechy if k == 0 else hummed)) for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(thread_results[0][0] == OK and thread_results[0][1] == cleaned, "thread 0: the same output as alone")
_, alone = compare_with_cli("denoise-hummed", denoise, hummed, None, lambda s, d: ["denoise", s, "-o", d])
check(thread_results[1][0] == OK and thread_results[1][1] == alone, "thread 1: the same output as alone")
check(os.listdir(scratch_root) == [], f"no temporaries left in $TMPDIR: {os.listdir(scratch_root)}")

# Without $TMPDIR the temporaries go to /dev/shm (memory) when it is writable and has room, else /tmp: either way
# the call works, gives the same output, and leaves nothing behind in either place.
del os.environ["TMPDIR"]
def leftovers():
    found = []
    for folder in ("/dev/shm", "/tmp"):
        if os.path.isdir(folder):
            found += [name for name in os.listdir(folder) if name.startswith("scrim-capi-")]
    return sorted(found)
before = leftovers()
arrays, table = to_c(speechy)
status = lib.scrim_denoise_buffer(table, len(arrays), len(speechy[0]), RATE, None, None)
check(status == OK and [list(a) for a in arrays] == cleaned, "without $TMPDIR: the same output")
check(leftovers() == before, f"without $TMPDIR: no temporaries left ({leftovers()} vs {before})")

print(f"buffer proof: {'FAILED' if failures else 'passed'} ({checks} checks, {failures} failed)")
sys.exit(1 if failures else 0)
