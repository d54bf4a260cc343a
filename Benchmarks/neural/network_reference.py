#!/usr/bin/env python3
"""Runs DeepFilterNet3's three ONNX graphs with onnxruntime on seeded features and writes the fixture that
Tests/ScrimNeuralTests/DFNEncoderTests.swift compares ScrimNeural's own layers with.

    python3 -m venv Benchmarks/.venv/neural
    Benchmarks/.venv/neural/bin/pip install onnxruntime numpy
    Benchmarks/.venv/neural/bin/python Benchmarks/neural/network_reference.py [--model DIR]

Inputs: S = 200 frames of feat_erb [1, 1, S, 32] and feat_spec [1, 2, S, 96] drawn from numpy's PCG64 with seed
20261206 (stored in the fixture in full, so the Swift test does not need numpy's generator). Outputs: for each of
enc.onnx's e0…e3, emb, c0, lsnr, erb_dec.onnx's m and df_dec.onnx's coefs and "235": the shape, the sum, the sum of
squares and the largest magnitude over the whole tensor (float64), and a subset of the values, every `stride`-th
element of the flattened tensor from index 0 (stride a prime chosen so at most ~6400 values are kept (the ERB decoder's gains m, 200 × 32, in full)). Values are
written in the shortest decimal form that reads back as the same float32.

It also checks that the graphs are causal: running the first 7 frames alone must give the first 7 frames of the
full run (the convolutions pad only at the start in time, the GRUs run forward from a zero state); the largest
difference is stored as `prefixMaxAbsDifference` per tensor.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort

SEED = 20261206
FRAMES = 200
PREFIX = 7
KEPT = 6400


def primes_from(n):
    k = max(n, 2)
    while True:
        if all(k % d for d in range(2, int(k ** 0.5) + 1)):
            return k
        k += 1


def f32(x):
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def summary(name, array, prefix_array, time_axis):
    flat = np.asarray(array, dtype=np.float32).reshape(-1)
    stride = primes_from(-(-flat.size // KEPT)) if flat.size > KEPT else 1
    kept = flat[::stride]
    as64 = flat.astype(np.float64)
    prefix_full = np.take(array, range(PREFIX), axis=time_axis)
    return {
        "name": name,
        "shape": list(array.shape),
        "timeAxis": time_axis,
        "sum": float(as64.sum()),
        "sumOfSquares": float((as64 * as64).sum()),
        "maxAbs": float(np.abs(as64).max()),
        "stride": stride,
        "values": [f32(v) for v in kept],
        "prefixMaxAbsDifference": float(np.abs(prefix_full - prefix_array).max()),
    }


def main():
    parser = argparse.ArgumentParser()
    default_model = os.path.join(os.environ.get("XDG_DATA_HOME", os.path.expanduser("~/.local/share")),
                                 "scrim/models/DeepFilterNet3")
    parser.add_argument("--model", default=os.environ.get("SCRIM_MODEL_PATH") or default_model)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "fixtures/dfn3-network.json"))
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sessions = {name: ort.InferenceSession(os.path.join(args.model, name + ".onnx"), options,
                                           providers=["CPUExecutionProvider"])
                for name in ("enc", "erb_dec", "df_dec")}

    rng = np.random.default_rng(SEED)
    feat_erb = np.clip(rng.normal(-0.3, 0.4, size=(1, 1, FRAMES, 32)), -1.5, 1.5).astype(np.float32)
    feat_spec = rng.normal(0.0, 0.7, size=(1, 2, FRAMES, 96)).astype(np.float32)

    def run(erb, spec):
        enc_names = [o.name for o in sessions["enc"].get_outputs()]
        enc = dict(zip(enc_names, sessions["enc"].run(None, {"feat_erb": erb, "feat_spec": spec})))
        m = sessions["erb_dec"].run(None, {k: enc[k] for k in ("emb", "e3", "e2", "e1", "e0")})[0]
        dec_names = [o.name for o in sessions["df_dec"].get_outputs()]
        df = dict(zip(dec_names, sessions["df_dec"].run(None, {"emb": enc["emb"], "c0": enc["c0"]})))
        return enc, m, df

    enc, m, df = run(feat_erb, feat_spec)
    enc_p, m_p, df_p = run(feat_erb[:, :, :PREFIX], feat_spec[:, :, :PREFIX])

    # Time per frame of the encoder graph over a 200-frame sequence (one thread, graph optimisations off as above
    # and on), for scale only: onnxruntime cannot run these graphs frame by frame (no state inputs).
    long_erb = np.tile(feat_erb, (1, 1, 10, 1))
    long_spec = np.tile(feat_spec, (1, 1, 10, 1))
    timings = {}
    for level, label in ((ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "optimizationsOff"),
                         (ort.GraphOptimizationLevel.ORT_ENABLE_ALL, "optimizationsOn")):
        o = ort.SessionOptions()
        o.intra_op_num_threads = 1
        o.graph_optimization_level = level
        s = ort.InferenceSession(os.path.join(args.model, "enc.onnx"), o, providers=["CPUExecutionProvider"])
        s.run(None, {"feat_erb": long_erb, "feat_spec": long_spec})
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            s.run(None, {"feat_erb": long_erb, "feat_spec": long_spec})
            best = min(best, time.perf_counter() - t0)
        timings[label] = best / long_erb.shape[2] * 1e6

    tensors = [summary(k, enc[k], enc_p[k], 1 if k in ("emb", "lsnr") else 2)
               for k in ("e0", "e1", "e2", "e3", "emb", "c0", "lsnr")]
    tensors.append(summary("m", m, m_p, 2))
    tensors.append(summary("coefs", df["coefs"], df_p["coefs"], 1))
    tensors.append(summary("235", df["235"], df_p["235"], 1))
    fixture = {
        "generator": "Benchmarks/neural/network_reference.py",
        "onnxruntime": ort.__version__,
        "seed": SEED,
        "frameCount": FRAMES,
        "prefixFrameCount": PREFIX,
        "featErb": [f32(v) for v in feat_erb.reshape(-1)],
        "featSpec": [f32(v) for v in feat_spec.reshape(-1)],
        "encoderMicrosecondsPerFrame": timings,
        "tensors": tensors,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    for t in tensors:
        print(f"{t['name']:6} shape {t['shape']} maxAbs {t['maxAbs']:.4g} stride {t['stride']} "
              f"kept {len(t['values'])} prefix diff {t['prefixMaxAbsDifference']:.3g}")
    print("encoder µs/frame (200-frame sequence, 1 thread):", timings)


if __name__ == "__main__":
    main()
