import Benchmark
import Foundation
import Scrim

// Scrim's speed benchmarks. Every benchmark processes a fixed amount of audio per iteration and reports, besides
// wall clock and mallocs, a custom metric "× real time" (audio seconds per wall-clock second). Fixtures are built
// before startMeasurement(). The bare STFT round trip is the floor every spectral processor is compared with.

let realTime = BenchmarkMetric.custom("x real time", polarity: .prefersLarger, useScalingFactor: false)
let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .peakMemoryResident, realTime]
/// A processor's time over the bare STFT round trip's, measured pair by pair, in percent (200 = the 2× target).
let ratioToFloor = BenchmarkMetric.custom("ratio to STFT floor (%)", polarity: .prefersSmaller,
                                          useScalingFactor: false)
/// The same ratio for the noise reducer with its babble guard switched off (what the guard itself costs).
let ratioToFloorWithoutGuard = BenchmarkMetric.custom("ratio without babble guard (%)",
                                                      polarity: .prefersSmaller, useScalingFactor: false)

/// Runs `body` once per iteration, timing each and recording audio seconds / wall seconds.
func measureRealTime(_ benchmark: Benchmark, audioSeconds: Double, _ body: () throws -> Void) rethrows {
    let clock = ContinuousClock()
    for _ in benchmark.scaledIterations {
        let start = clock.now
        try body()
        let elapsed = (clock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        benchmark.measurement(realTime, Int((audioSeconds / max(seconds, 1e-9)).rounded()))
    }
}

/// A deterministic test signal: a sine sweep plus a little seeded noise, one row per channel.
func makeSignal(channels: Int, frames: Int, sampleRate: Double) -> AudioBuffer {
    let buffer = AudioBuffer(channelCount: channels, capacity: frames)
    var seed: UInt64 = 0x5C81_0000_0000_0001
    for c in 0..<channels {
        let samples = buffer.channel(c)
        var phase = 0.0
        for i in 0..<frames {
            let f = 100 + 4000 * Double(i) / Double(frames)
            phase += 2 * Double.pi * f / sampleRate
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(Int64(bitPattern: seed >> 11) % 1000) / 1_000_000
            samples[i] = Float(0.25 * sin(phase + Double(c)) + noise)
        }
    }
    return buffer
}

/// Calls `body` with consecutive slices of at most `blockFrames` frames covering the whole buffer.
func forEachBlock(of buffer: AudioBuffer, blockFrames: Int, _ body: (AudioBlock) -> Void) {
    buffer.withBlock { block in
        var start = 0
        while start < block.frameCount {
            let n = min(blockFrames, block.frameCount - start)
            body(block.slice(from: start, count: n))
            start += n
        }
    }
}

/// Processes a whole buffer in blocks of `blockFrames`, in place.
func run(_ processor: some AudioProcessor, over buffer: AudioBuffer, blockFrames: Int) {
    forEachBlock(of: buffer, blockFrames: blockFrames) { processor.process($0) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: metrics, maxDuration: .seconds(5), maxIterations: 20)
    let sampleRate = 48_000.0
    let seconds = 60.0
    let frames = Int(sampleRate * seconds)

    for (fftSize, hopSize) in [(2048, 512), (1024, 256)] {
        Benchmark("STFT.roundTrip.\(fftSize)x\(hopSize).48k.mono.60s") { benchmark in
            let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
            let stft = STFTProcessor(kernel: IdentityKernel(),
                                     configuration: STFTConfiguration(fftSize: fftSize, hopSize: hopSize))
            try stft.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
            benchmark.startMeasurement()
            measureRealTime(benchmark, audioSeconds: seconds) { run(stft, over: signal, blockFrames: 4096) }
        }
    }

    // Allocation check: only processing inside the measured region, no custom metric (recording one allocates).
    // Must be 0: process() may not allocate (DESIGN.md, processor lifecycle).
    Benchmark("STFT.process.mallocs.2048x512.48k.mono.60s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 10)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let stft = STFTProcessor(kernel: IdentityKernel(), configuration: STFTConfiguration(fftSize: 2048, hopSize: 512))
        try stft.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { run(stft, over: signal, blockFrames: 4096) }
    }

    // File I/O: a 60 s, 8-track, 24-bit poly file (the shape of a location recording).
    Benchmark("File.read.8ch.24bit.48k.60s") { benchmark in
        let folder = NSTemporaryDirectory() + "scrim-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/poly.wav"
        try writeFixture(path: path, channels: 8, frames: frames, sampleRate: Int(sampleRate))
        let buffer = AudioBuffer(channelCount: 8, capacity: 8192)
        benchmark.startMeasurement()
        try measureRealTime(benchmark, audioSeconds: seconds) {
            let reader = try AudioFileReader(path: path)
            while try reader.read(into: buffer) > 0 {}
            reader.close()
        }
    }

    Benchmark("File.write.8ch.24bit.48k.60s") { benchmark in
        let folder = NSTemporaryDirectory() + "scrim-bench-w-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let block = makeSignal(channels: 8, frames: 8192, sampleRate: sampleRate)
        benchmark.startMeasurement()
        try measureRealTime(benchmark, audioSeconds: seconds) {
            let path = folder + "/out.wav"
            try writeFixture(path: path, channels: 8, frames: frames, sampleRate: Int(sampleRate), block: block)
            try FileManager.default.removeItem(atPath: path)
        }
    }

    // End to end: file → (no-op processor) → file through FileJob, 48 kHz mono 24-bit. The floor for every
    // `scrim` file command.
    Benchmark("FileJob.passThrough.mono.24bit.48k.60s") { benchmark in
        let folder = NSTemporaryDirectory() + "scrim-bench-j-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/in.wav", output = folder + "/out.wav"
        try writeFixture(path: input, channels: 1, frames: frames, sampleRate: Int(sampleRate))
        benchmark.startMeasurement()
        try measureRealTime(benchmark, audioSeconds: seconds) {
            _ = try FileJob.process(input: input, output: output, options: FileJobOptions(overwrite: true)) { _ in
                PassThrough()
            }
        }
    }
    loudnessBenchmarks()
    qualityBenchmarks(sampleRate: sampleRate, seconds: seconds)
    cleanupBenchmarks(sampleRate: sampleRate, seconds: seconds)
    neuralBenchmarks(sampleRate: sampleRate, seconds: seconds)
    resamplingBenchmarks()
}

/// A processor that does nothing, to time the pipeline itself.
final class PassThrough: AudioProcessor {
    var latencyFrames: Int { 0 }
    func prepare(for spec: ProcessSpec) throws {}
    func process(_ block: AudioBlock) {}
    func reset() {}
}

/// Writes `frames` frames of 24-bit WAV, repeating `block` (or a generated one).
func writeFixture(path: String, channels: Int, frames: Int, sampleRate: Int, block: AudioBuffer? = nil) throws {
    let source = block ?? makeSignal(channels: channels, frames: 8192, sampleRate: Double(sampleRate))
    let writer = try AudioFileWriter(
        path: path,
        format: AudioFileFormat(container: .wav, sampleFormat: .pcm24, sampleRate: sampleRate,
                                channelCount: channels),
        options: AudioFileWriter.Options(overwritesExisting: true))
    var written = 0
    try source.withBlock { full in
        while written < frames {
            let n = min(full.frameCount, frames - written)
            try writer.write(full.slice(from: 0, count: n))
            written += n
        }
    }
    try writer.finish()
}
