#!/usr/bin/env python3
"""Times the day report on a synthetic day of 1,000 stored reports (make_records.py), with and without pictures:
`scrim report` (wall clock, median of 5) and the page in headless Chromium (the page's own `data-ready-ms`:
performance.now() when its script has finished, i.e. the HTML parsed, the rows laid out, the controls wired and the
first screen's pictures made; median of 5), plus Chromium's whole --dump-dom run for reference (it includes starting
the browser). Usage: bench.py SCRIM_BINARY [WORKDIR] [--thumbnails-from FOLDER] (the pictures' run then stores
the real thumbnails found under FOLDER, make_records.py --thumbnails-from, instead of noise). Standard library only.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
arguments = sys.argv[1:]
thumbnails = None
if "--thumbnails-from" in arguments:
    at = arguments.index("--thumbnails-from")
    thumbnails = os.path.abspath(arguments[at + 1])
    del arguments[at:at + 2]
scrim = os.path.abspath(arguments[0])
work = os.path.abspath(arguments[1] if len(arguments) > 1 else os.path.join(here, "..", "..", ".build", "report-bench"))
for pictures in (False, True):
    folder = os.path.join(work, "pictures" if pictures else "plain")
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(here, "make_records.py"), folder, "--files", "1000"]
                   + ((["--thumbnails-from", thumbnails] if thumbnails else ["--pictures"]) if pictures else []),
                   check=True, timeout=600)
    page = os.path.join(folder, "day.html")
    report_times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([scrim, "report", folder, "--html", page], check=True, capture_output=True, timeout=120)
        report_times.append(time.perf_counter() - start)
    ready, rows_ready, parses, whole, shown = [], [], [], [], None
    for _ in range(5):
        start = time.perf_counter()
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                              "--dump-dom", "file://" + page], capture_output=True, timeout=120).stdout.decode()
        whole.append(time.perf_counter() - start)
        ready.append(int(re.search(r'data-ready-ms="(\d+)"', dom).group(1)))
        parse = re.search(r'data-pictures-parse-ms="(\d+)"', dom)
        parses.append(int(parse.group(1)) if parse else 0)
        rows_ready.append(int(re.search(r'data-rows-ready-ms="(\d+)"', dom).group(1)))
        errors = re.search(r'data-errors="(\d+)"', dom).group(1)
        rows = re.search(r'data-rows="(\d+)"', dom).group(1)
        shown = (re.search(r'data-pictures-shown="(\d+)"', dom).group(1),
                 re.search(r'data-pictures="(\d+)"', dom).group(1))
    print(f"{'with' if pictures else 'without'} pictures: page {os.path.getsize(page) / 1e6:.1f} MB, {rows} rows, "
          f"page errors {errors}; scrim report {statistics.median(report_times):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in report_times)}); rows usable {statistics.median(rows_ready)} ms "
          f"(runs {', '.join(map(str, rows_ready))}); page ready {statistics.median(ready)} ms "
          f"(runs {', '.join(map(str, ready))}; of which JSON.parse of the pictures {statistics.median(parses)} ms); chromium --dump-dom whole run {statistics.median(whole):.2f} s; "
          f"pictures made at load {shown[0]} of {shown[1]}")
