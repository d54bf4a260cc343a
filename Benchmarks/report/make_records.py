#!/usr/bin/env python3
"""Writes a synthetic shoot day of N stored batch reports (OUTDIR/.scrim/reports/…) and a batch record, for timing
`scrim report` and the page it writes (Benchmarks/report/REPORT.md). Standard library only.

Each record has the keys a real batch stores (the `report` object follows `scrim process --json` with the dailies
preset: dehum, denoise, loudness), iXML metadata for a 4-track poly take, and, every 50th file, a failure; warnings
in both shapes Scrim reads (a string, and {"code", "message", "track"}). With --pictures, each done file gets a
stored picture: a noisy 240x64 RGB PNG (the size a before/after thumbnail would have; noise keeps it from
compressing, so it is a heavy case).

With --thumbnails-from FOLDER, the stored pictures are real thumbnails instead: the *.thumb.png files found under
FOLDER (e.g. the .scrim/reports of a real `scrim batch --html` run), used in turn.

Usage: make_records.py OUTDIR [--files N] [--pictures | --thumbnails-from FOLDER]
"""

import argparse
import json
import os
import random
import struct
import zlib


def png(rng, width=240, height=64):
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            level = max(0, min(255, int(255 * (1 - y / height) * (0.6 + 0.4 * rng.random()))))
            rows += bytes((level, level // 2, 255 - level))

    def part(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + part(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + part(b"IDAT", zlib.compress(bytes(rows), 9)) + part(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--pictures", action="store_true")
    parser.add_argument("--thumbnails-from", metavar="FOLDER")
    args = parser.parse_args()
    real = []
    if args.thumbnails_from:
        for base, _, names in sorted(os.walk(args.thumbnails_from)):
            for found in sorted(names):
                if found.endswith(".thumb.png"):
                    with open(os.path.join(base, found), "rb") as handle:
                        real.append(handle.read())
        if not real:
            parser.error(f"no *.thumb.png under {args.thumbnails_from}")
        args.pictures = True
    rng = random.Random(20)
    reports = os.path.join(args.outdir, ".scrim", "reports", "DAY3")
    os.makedirs(reports, exist_ok=True)
    os.makedirs(os.path.join(args.outdir, ".scrim", "batches"), exist_ok=True)
    outcomes = []
    audio = 0.0
    for index in range(args.files):
        name = f"T{index:04d}_sc{index // 8 + 1}_tk{index % 8 + 1}.wav"
        relative = "DAY3/" + name
        source = "/media/CARD01/DAY3/" + name
        duration = round(rng.uniform(20, 240), 3)
        failed = index % 50 == 49
        document = {
            "status": "failed" if failed else "done",
            "inputSize": int(duration * 48000 * 12),
            "inputModifiedNanoseconds": 1796611665355553667 + index,
            "outputStamp": None if failed else {"size": int(duration * 48000 * 12) + 122,
                                                "modifiedNanoseconds": 1796611669073741899 + index},
            "presetFingerprint": "b588275040036166",
            "scrimVersion": "0.1.0",
        }
        warnings = []
        if index % 7 == 3:
            warnings.append({"code": "clipping", "message": f"{rng.randint(1, 900)} samples at full scale",
                             "track": rng.randint(1, 4)})
        if index % 11 == 5:
            warnings.append({"code": "deadTrack", "message": "no signal above -90 dBFS", "track": 3})
        if index % 13 == 0:
            warnings.append("bext chunk unreadable: passed through unchanged, no Coding History line added")
        if failed:
            document["error"] = {"code": "truncated", "message": f"{name}: the data chunk ends early"}
        else:
            before = rng.uniform(-38, -18)
            floor = rng.uniform(-62, -40)
            document["report"] = {
                "command": "process", "input": source, "output": "/dailies/clean/" + relative, "status": "done",
                "error": None, "warnings": warnings,
                "process": {
                    "preset": "dailies", "presetFingerprint": "b588275040036166",
                    "stages": ["dehum", "denoise", "loudness"], "passes": 3,
                    "dehum": {"frequencyHz": "auto",
                              "detection": {"present": index % 3 == 0, "fundamentalHz": 59.97},
                              "removedFundamentalHz": 59.97 if index % 3 == 0 else None,
                              "removedHarmonics": list(range(1, 18)) if index % 3 == 0 else [],
                              "lookaheadSeconds": 2.5 if index % 3 == 0 else None, "levelVaries": False},
                    "denoise": {"engine": "spectral", "noiseFloorBeforeDbfs": round(floor, 1),
                                "noiseFloorAfterDbfs": round(floor - rng.uniform(2, 8), 1)},
                    "loudness": {"targetLoudnessLufs": -23, "dialogueGating": True,
                                 "measuredLoudnessLufs": round(before, 2), "gainDb": round(-23 - before, 2),
                                 "limiter": {"armed": True, "engaged": index % 9 == 0,
                                             "limitedFrames": 120 if index % 9 == 0 else 0,
                                             "limitedPercent": 0.05 if index % 9 == 0 else 0,
                                             "deepestReductionDb": 1.3 if index % 9 == 0 else 0},
                                 "afterLoudnessLufs": -23.0, "afterTruePeakDbtp": -2.1},
                    "elapsedSeconds": round(duration / 60, 3), "realTimeFactor": 60,
                },
                "file": {"durationSeconds": duration},
            }
            audio += duration
        document.update({
            "input": source, "relativeOutput": relative,
            "metadata": {"sampleRate": 48000, "channelCount": 4, "durationSeconds": duration,
                         "timecode": f"{9 + index // 120:02d}:{index % 60:02d}:{index * 7 % 60:02d}:{index % 25:02d}",
                         "timecodeRate": "25/1", "timeOfDay": None, "project": "NIGHT TRAIN",
                         "scene": str(index // 8 + 1), "take": str(index % 8 + 1), "tape": "DAY3",
                         "circled": index % 8 == 2, "trackNames": ["BOOM", "LAV A", "LAV B", "MIX"]},
            "durationSeconds": duration, "elapsedSeconds": round(duration / 60, 3),
            "finishedAt": "2026-12-07T02:00:00Z", "thumbnail": None, "thumbnailProblem": None,
        })
        if args.pictures and not failed:
            with open(os.path.join(reports, name + ".thumb.png"), "wb") as handle:
                handle.write(real[index % len(real)] if real else png(rng))
            document["thumbnail"] = name + ".thumb.png"
        with open(os.path.join(reports, name + ".json"), "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        outcomes.append({"input": source, "relativeOutput": relative, "status": document["status"],
                         "reason": "no output yet", "error": document.get("error"), "durationSeconds": duration})
    record = {"finishedAt": "2026-12-07T02:00:01Z", "shard": None, "scrimVersion": "0.1.0", "preset": "dailies",
              "presetFingerprint": "b588275040036166", "files": args.files,
              "done": sum(o["status"] == "done" for o in outcomes), "upToDate": 0,
              "failed": sum(o["status"] == "failed" for o in outcomes), "notFinished": 0, "interrupted": False,
              "audioSeconds": round(audio, 3), "elapsedSeconds": round(audio / 60, 3), "realTimeFactor": 60,
              "outcomes": outcomes}
    with open(os.path.join(args.outdir, ".scrim", "batches", "all.json"), "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)


if __name__ == "__main__":
    main()
