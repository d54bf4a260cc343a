import Benchmark
import Foundation
import Scrim

// Loudness: the BS.1770-4 meter (integrated + loudness range, with and without true peak) on 60 s of stereo and
// 5.1 at 48 kHz, the normaliser's gain + true-peak limiter in memory, and `LoudnessJob.normalize` file to file
// (both passes, as `scrim normalize` runs it). Targets from the issue, one core: ≥ 1000× real time for the stereo
// meter with true peak, ≥ 500× for normalize file to file.

/// Feeds a whole buffer to an analyzer in blocks of `blockFrames`.
func analyze(_ analyzer: some AudioAnalyzer, over buffer: AudioBuffer, blockFrames: Int) {
    forEachBlock(of: buffer, blockFrames: blockFrames) { analyzer.analyze($0) }
}

func loudnessBenchmarks() {
    let sampleRate = 48_000.0
    let seconds = 60.0
    let frames = Int(sampleRate * seconds)
    let layouts: [(name: String, layout: ChannelLayout)] = [("stereo", .stereo), ("5.1", .surround51)]

    for (name, layout) in layouts {
        for truePeak in [true, false] {
            let label = truePeak ? "truePeak" : "noTruePeak"
            Benchmark("LoudnessMeter.measure.\(name).\(label).48k.60s") { benchmark in
                let signal = makeSignal(channels: layout.channelCount, frames: frames, sampleRate: sampleRate)
                let meter = LoudnessMeter(layout: layout, measureTruePeak: truePeak)
                try meter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: layout.channelCount,
                                                   maximumBlockFrames: 8192))
                benchmark.startMeasurement()
                measureRealTime(benchmark, audioSeconds: seconds) {
                    meter.reset()
                    analyze(meter, over: signal, blockFrames: 8192)
                    blackHole(meter.integratedLoudness + meter.loudnessRange + meter.truePeak)
                }
            }
        }
    }

    // Must be 0: analyze() may not allocate (DESIGN.md, processor lifecycle).
    Benchmark("LoudnessMeter.analyze.mallocs.stereo.48k.60s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 10)) { benchmark in
        let signal = makeSignal(channels: 2, frames: frames, sampleRate: sampleRate)
        let meter = LoudnessMeter()
        try meter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 2, maximumBlockFrames: 8192))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            meter.reset()
            analyze(meter, over: signal, blockFrames: 8192)
        }
    }

    // Gain + true-peak limiter, in memory: +6 dB on a signal peaking near −6 dBFS, so the limiter works.
    Benchmark("LoudnessNormalizer.process.limit.stereo.48k.60s") { benchmark in
        let source = makeSignal(channels: 2, frames: frames, sampleRate: sampleRate)
        let work = AudioBuffer(channelCount: 2, capacity: frames)
        let normalizer = LoudnessNormalizer(plan: NormalizationPlan(gainDecibels: 6, truePeakCeiling: -1))
        try normalizer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 2, maximumBlockFrames: 8192))
        benchmark.startMeasurement()
        measureRealTime(benchmark, audioSeconds: seconds) {
            source.withBlock { src in work.withBlock { $0.copy(from: src) } }
            normalizer.reset()
            run(normalizer, over: work, blockFrames: 8192)
        }
    }

    // End to end, as `scrim normalize` runs it: measure (pass 1), then gain + limiter + output meter and write
    // (pass 2), 24-bit stereo WAV to 24-bit stereo WAV.
    Benchmark("LoudnessJob.normalize.stereo.24bit.48k.60s") { benchmark in
        let folder = NSTemporaryDirectory() + "scrim-bench-loud-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/in.wav", output = folder + "/out.wav"
        try writeFixture(path: input, channels: 2, frames: frames, sampleRate: Int(sampleRate))
        let options = LoudnessJobOptions(file: FileJobOptions(overwrite: true))
        benchmark.startMeasurement()
        try measureRealTime(benchmark, audioSeconds: seconds) {
            _ = try LoudnessJob.normalize(input: input, output: output, target: .ebuR128, options: options)
        }
    }
}
