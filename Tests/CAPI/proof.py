#!/usr/bin/env python3
"""Proof that Scrim links from Python with ctypes (standard library only): streams blocks through a chain and a
meter, processes a sample file and checks its report, and checks the error paths.

usage: proof.py LIBSCRIM_SO SAMPLES_DIR WORK_DIR      (run by Tests/CAPI/run.sh)
"""
import ctypes as C
import json
import math
import os
import sys

lib_path, samples, work = sys.argv[1:4]
lib = C.CDLL(lib_path)

OK, INVALID, UNKNOWN_PRESET, CONFIGURATION, FILE = 0, 1, 2, 3, 4
floatp = C.POINTER(C.c_float)

lib.scrim_version.restype = C.c_char_p
lib.scrim_abi_version.restype = C.c_int
lib.scrim_last_error.restype = C.c_char_p
lib.scrim_string_free.argtypes = [C.c_void_p]
lib.scrim_chain_create.argtypes = [C.c_char_p, C.c_double, C.c_int, C.c_int, C.POINTER(C.c_void_p)]
lib.scrim_chain_process.argtypes = [C.c_void_p, C.POINTER(floatp), C.c_int, C.c_int]
lib.scrim_chain_flush.argtypes = [C.c_void_p, C.POINTER(floatp), C.c_int, C.c_int]
lib.scrim_chain_latency.argtypes = [C.c_void_p, C.POINTER(C.c_int64)]
lib.scrim_chain_reset.argtypes = [C.c_void_p]
lib.scrim_chain_report_json.argtypes = [C.c_void_p, C.POINTER(C.c_void_p)]
lib.scrim_chain_destroy.argtypes = [C.c_void_p]
lib.scrim_process_file.argtypes = [C.c_char_p, C.c_char_p, C.c_char_p, C.c_int, C.POINTER(C.c_void_p)]
lib.scrim_measure_file_loudness.argtypes = [C.c_char_p, C.c_int, C.POINTER(C.c_void_p)]
lib.scrim_meter_create.argtypes = [C.c_double, C.c_int, C.c_int, C.c_int, C.POINTER(C.c_void_p)]
lib.scrim_meter_add.argtypes = [C.c_void_p, C.POINTER(floatp), C.c_int, C.c_int]
lib.scrim_meter_result_json.argtypes = [C.c_void_p, C.POINTER(C.c_void_p)]
lib.scrim_meter_destroy.argtypes = [C.c_void_p]

failures = 0


def check(cond, message):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {message} (last error: {lib.scrim_last_error().decode()})", file=sys.stderr)


def take_string(pointer):
    """Copies a Scrim-owned string and frees it."""
    if not pointer.value:
        return None
    text = C.string_at(pointer.value).decode()
    lib.scrim_string_free(pointer.value)
    return text


def planar(channels):
    """An array of channel pointers over ctypes float arrays (kept alive by the caller)."""
    return (floatp * len(channels))(*[C.cast(ch, floatp) for ch in channels])


check(lib.scrim_abi_version() == 2, "ABI version")
check(len(lib.scrim_version()) > 0, "version")

# Streaming: a 440 Hz tone through a stereo chain in blocks, then flushed, aligned by the latency.
rate, frames, block = 48000, 48000, 480
chain = C.c_void_p()
check(lib.scrim_chain_create(b"denoise-only", rate, 2, block, C.byref(chain)) == OK, "chain_create")
latency = C.c_int64(-1)
check(lib.scrim_chain_latency(chain, C.byref(latency)) == OK and latency.value >= 0, "latency")
tone = [0.3 * math.sin(2 * math.pi * 440 * i / rate) for i in range(frames)]
buffers = [(C.c_float * block)(), (C.c_float * block)()]
pointers = planar(buffers)


def stream(size):
    """Runs the tone through the chain in blocks of `size` frames; returns the aligned left channel."""
    out = []
    for start in range(0, frames, size):
        n = min(size, frames - start)
        for ch in buffers:
            ch[:n] = tone[start:start + n]
        check(lib.scrim_chain_process(chain, pointers, 2, n) == OK, f"process at {start}")
        out.extend(buffers[0][:n])
    remaining = latency.value
    while remaining > 0:
        n = min(size, remaining)
        check(lib.scrim_chain_flush(chain, pointers, 2, n) == OK, "flush")
        out.extend(buffers[0][:n])
        remaining -= n
    return out[latency.value:]


first = stream(block)
check(len(first) == frames, f"aligned length {len(first)}")
check(all(math.isfinite(x) for x in first), "finite output")
# A steady tone is stationary, so the adaptive denoiser lowers it by about its reduction limit (15 dB):
# somewhere between 5 and 30 dB, never untouched, never gated to silence.
rms_in = 0.3 / math.sqrt(2)
rms_out = math.sqrt(sum(x * x for x in first[frames // 2:]) / (frames - frames // 2))
reduction = 20 * math.log10(rms_in / max(rms_out, 1e-12))
check(5 < reduction < 30, f"steady tone reduced by {reduction:.1f} dB")
# reset() gives a fresh chain, and the block split does not change the output.
check(lib.scrim_chain_reset(chain) == OK, "reset")
second = stream(160)
check(first == second, "same output after reset with another block size")
report = C.c_void_p()
check(lib.scrim_chain_report_json(chain, C.byref(report)) == OK, "chain report")
chain_report = json.loads(take_string(report) or "{}")
check(isinstance(chain_report, dict) and len(chain_report) > 0, "chain report is a JSON object")
check(lib.scrim_chain_process(chain, pointers, 1, block) == INVALID, "wrong channel count is an error")
check(lib.scrim_chain_process(chain, None, 2, block) == INVALID, "NULL channels is an error")
lib.scrim_chain_destroy(chain)

bad = C.c_void_p()
check(lib.scrim_chain_create(b"no-such-preset", rate, 2, block, C.byref(bad)) == UNKNOWN_PRESET, "unknown preset")
check(b"no-such-preset" in lib.scrim_last_error(), "message names the preset")
check(lib.scrim_chain_create(None, rate, 2, block, C.byref(bad)) == INVALID, "NULL preset")

# A file through a preset, with its report.
src = os.path.join(samples, "dialogue_roomtone.wav").encode()
dst = os.path.join(work, "proof_py_denoised.wav").encode()
report = C.c_void_p()
check(lib.scrim_process_file(src, dst, b"denoise-only", 1, C.byref(report)) == OK, "process_file")
file_report = json.loads(take_string(report) or "{}")
frame_counts = json.dumps(file_report)
check('"frameCount": 480000' in frame_counts, "report gives the input's frame count")
check(os.path.exists(dst.decode()), "output written")
check(lib.scrim_process_file(b"/nonexistent/y.wav", dst, b"denoise-only", 1, None) == FILE, "missing input")

# The neural engine from preset JSON: a chain at 48 kHz over 0.5 s of noise, its report, and a missing model.
MODEL = 7
model_folder = os.environ.get("SCRIM_MODEL_PATH") or os.path.join(
    os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share"),
    "scrim/models/DeepFilterNet3")
neural_preset = b'{"name": "neural-proof", "denoise": {"engine": "neural", "reductionLimitDb": 100}}'
if os.path.exists(os.path.join(model_folder, "enc.onnx")):
    neural = C.c_void_p()
    check(lib.scrim_chain_create(neural_preset, 48000, 1, 4800, C.byref(neural)) == OK, "neural chain_create")
    n_latency = C.c_int64(-1)
    # A stream runs the dialogue mode's streaming form: the network's 1920 + a hop for the half-hop ensemble + a
    # hop for the refiner.
    check(lib.scrim_chain_latency(neural, C.byref(n_latency)) == OK and n_latency.value == 2880,
          f"neural latency 2880: {n_latency.value}")
    seed = 1
    noise = (C.c_float * 4800)()
    energy_in = energy_out = 0.0
    for k in range(5):
        for i in range(4800):
            seed = (seed * 1103515245 + 12345) % 2**31
            noise[i] = (seed / 2**31 - 0.5) * 0.1
        energy_in += sum(x * x for x in noise)
        check(lib.scrim_chain_process(neural, planar([noise]), 1, 4800) == OK, "neural process")
        energy_out += sum(x * x for x in noise)
    check(energy_out < 0.1 * energy_in, f"the network takes white noise down by 10 dB: {energy_out} of {energy_in}")
    n_report = C.c_void_p()
    check(lib.scrim_chain_report_json(neural, C.byref(n_report)) == OK, "neural report")
    n_json = json.loads(take_string(n_report) or "{}")
    stage = (n_json.get("stages") or [{}])[0]
    check(stage.get("engine") == "neural" and stage.get("speechShare") is not None
          and stage.get("neuralEnsemble") == "half-hop", f"neural report: {stage}")
    lib.scrim_chain_destroy(neural)
else:
    print(f"proof.py: the DeepFilterNet3 model is not in {model_folder}: neural chain checks skipped "
          "(scripts/fetch-model.sh installs it)")
saved = os.environ.get("SCRIM_MODEL_PATH")
os.environ["SCRIM_MODEL_PATH"] = os.path.join(work, "no-model-here")
missing = C.c_void_p()
check(lib.scrim_chain_create(neural_preset, 48000, 1, 4800, C.byref(missing)) == MODEL and not missing.value,
      "a missing model is SCRIM_ERROR_MODEL")
check(b"fetch-model.sh" in lib.scrim_last_error(), "the message names the fetch script")
if saved is None:
    del os.environ["SCRIM_MODEL_PATH"]
else:
    os.environ["SCRIM_MODEL_PATH"] = saved

# Loudness of a file and of blocks.
measured = C.c_void_p()
check(lib.scrim_measure_file_loudness(os.path.join(samples, "take_loud.wav").encode(), 0, C.byref(measured)) == OK,
      "measure file")
envelope = json.loads(take_string(measured) or "{}")
check(envelope.get("command") == "loudness" and envelope.get("status") == "done", "the JSON envelope")
loud = envelope.get("loudness", {})
check(abs(loud.get("integratedLoudnessLufs", 0) - (-18.0)) < 0.1,
      f"take_loud is -18 LUFS: {loud.get('integratedLoudnessLufs')}")

meter = C.c_void_p()
check(lib.scrim_meter_create(rate, 1, block, 0, C.byref(meter)) == OK, "meter_create")
mono = [(C.c_float * block)()]
mono_pointers = planar(mono)
silence_json = C.c_void_p()
check(lib.scrim_meter_result_json(meter, C.byref(silence_json)) == OK, "result before any audio")
silence = json.loads(take_string(silence_json) or "{}")
check(silence.get("integratedLoudnessLufs", 0) is None, "no audio yet: integrated loudness is null (-inf)")
lib.scrim_meter_destroy(meter)

print(f"Python proof: {'FAILED' if failures else 'passed'} ({failures} failure{'' if failures == 1 else 's'})")
sys.exit(1 if failures else 0)
