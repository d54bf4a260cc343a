import Benchmark
import Foundation
import Scrim

// Per-track quality control (issue 20): the TrackQualityMeter in memory on 60 s of 8 tracks, and what it adds to a
// read of a 60 s, 8-track, 24-bit file (`FileJob.analyze` with no analyzer against the same read with the meter),
// which is its cost inside `process` and `batch` (it rides their first read of the input).

func qualityBenchmarks(sampleRate: Double, seconds: Double) {
    let frames = Int(sampleRate * seconds)

    // With and without the per-track true peak (analyze leaves it to the loudness meter beside it).
    for truePeak in [true, false] {
        Benchmark("TrackQualityMeter.analyze.\(truePeak ? "truePeak" : "noTruePeak").8ch.48k.60s") { benchmark in
            let signal = makeSignal(channels: 8, frames: frames, sampleRate: sampleRate)
            let meter = TrackQualityMeter(bitsPerSample: 24, measuresTruePeak: truePeak)
            try meter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 8, maximumBlockFrames: 8192))
            benchmark.startMeasurement()
            measureRealTime(benchmark, audioSeconds: seconds) {
                meter.reset()
                analyze(meter, over: signal, blockFrames: 8192)
                blackHole(meter.finish())
            }
        }
    }

    // Must be 0: analyze() may not allocate (DESIGN.md, processor lifecycle).
    Benchmark("TrackQualityMeter.analyze.mallocs.8ch.48k.60s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 10)) { benchmark in
        let signal = makeSignal(channels: 8, frames: frames, sampleRate: sampleRate)
        let meter = TrackQualityMeter(bitsPerSample: 24)
        try meter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 8, maximumBlockFrames: 8192))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            meter.reset()
            analyze(meter, over: signal, blockFrames: 8192)
        }
    }

    for withMeter in [false, true] {
        Benchmark("FileJob.analyze.\(withMeter ? "qc" : "plain").8ch.24bit.48k.60s") { benchmark in
            let folder = NSTemporaryDirectory() + "scrim-bench-qc-\(getpid())"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/poly.wav"
            try writeFixture(path: path, channels: 8, frames: frames, sampleRate: Int(sampleRate))
            benchmark.startMeasurement()
            try measureRealTime(benchmark, audioSeconds: seconds) {
                let meter = withMeter ? TrackQualityMeter(bitsPerSample: 24) : nil
                _ = try FileJob.analyze(input: path, analyzers: [], inputMeter: meter)
                if let meter { blackHole(meter.finish()) }
            }
        }
    }
}
