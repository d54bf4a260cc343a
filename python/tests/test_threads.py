"""Two threads at once give the same results as one thread (separate calls and separate Chains; the GIL is released
while the library works, so they do overlap)."""
from __future__ import annotations

import threading

import numpy as np

import scrim


def run_together(jobs):
    """Runs each job in its own thread, started together at a barrier; returns their results in order."""
    results = [None] * len(jobs)
    errors = []
    barrier = threading.Barrier(len(jobs))

    def worker(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as failure:  # reported below, with the job's index
            errors.append((index, failure))

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_whole_buffer_calls_in_two_threads(float_samples):
    _, speech, rate = float_samples["dialogue_roomtone.wav"]
    _, hum, _ = float_samples["hum_take.wav"]
    alone = [scrim.denoise(speech, rate), scrim.dehum(hum, rate)]
    for _ in range(3):
        together = run_together([lambda: scrim.denoise(speech, rate), lambda: scrim.dehum(hum, rate)])
        for (audio, report), (expected_audio, expected_report) in zip(together, alone):
            assert np.array_equal(audio, expected_audio)
            assert report["warnings"] == expected_report["warnings"]
    # The same function on the same input in both threads at once.
    a, b = run_together([lambda: scrim.denoise(speech, rate)] * 2)
    assert np.array_equal(a.audio, alone[0].audio) and np.array_equal(b.audio, alone[0].audio)


def test_two_chains_in_two_threads(float_samples):
    _, x, rate = float_samples["poly_bwf_4ch.wav"]

    def stream(block):
        with scrim.Chain("denoise-only", rate, 4) as chain:
            parts = [chain.process(x[i:i + block]) for i in range(0, x.shape[0], block)]
            return np.concatenate(parts + [chain.flush()])

    alone = stream(4800)
    for left, right in [run_together([lambda: stream(4800), lambda: stream(1000)]) for _ in range(2)]:
        assert np.array_equal(left, alone) and np.array_equal(right, alone)


def test_loudness_in_two_threads(float_samples):
    _, loud, rate = float_samples["take_loud.wav"]
    _, quiet, _ = float_samples["take_quiet.wav"]
    alone = [scrim.loudness(loud, rate), scrim.loudness(quiet, rate)]
    assert run_together([lambda: scrim.loudness(loud, rate), lambda: scrim.loudness(quiet, rate)]) == alone
