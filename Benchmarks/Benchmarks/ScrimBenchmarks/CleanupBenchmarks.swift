import Benchmark
import Foundation
import Scrim

/// Spectral processors against the floor: the same 60 s of 48 kHz mono as `STFT.roundTrip.*`, so the ratio of
/// medians in one run says how close each processor is to the bare FFT cost (DESIGN.md, "What fast means").
func cleanupBenchmarks(sampleRate: Double, seconds: Double) {
    let frames = Int(sampleRate * seconds)

    Benchmark("NoiseReducer.process.adaptive.mono.48k.60s") { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let reducer = NoiseReducer(settings: NoiseReducerSettings())
        try reducer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        measureRealTime(benchmark, audioSeconds: seconds) { run(reducer, over: signal, blockFrames: 4096) }
    }

    Benchmark("NoiseReducer.process.adaptive.stereo.48k.60s") { benchmark in
        let signal = makeSignal(channels: 2, frames: frames, sampleRate: sampleRate)
        let reducer = NoiseReducer(settings: NoiseReducerSettings())
        try reducer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 2, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        measureRealTime(benchmark, audioSeconds: seconds) { run(reducer, over: signal, blockFrames: 4096) }
    }

    // The ratio itself, measured pair by pair: each iteration runs the bare STFT round trip (the reducer's own
    // framing at this rate), the reducer, and the reducer with its babble guard switched off over the same 60 s
    // back to back, in an order that rotates with the iteration, and records each reducer's time / the STFT's.
    // A slow spell of the machine then falls on the whole set, where separate benchmarks seconds apart each catch
    // their own (DESIGN.md: compare as ratios in one run). Each iteration prepares fresh processors, as the
    // separate benchmarks do.
    Benchmark("NoiseReducer.ratioToSTFT.adaptive.mono.48k.60s",
              configuration: .init(metrics: [.wallClock, ratioToFloor, ratioToFloorWithoutGuard],
                                   maxDuration: .seconds(20), maxIterations: 40)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let spec = ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096)
        let fftSize = NoiseReducerSettings.fftSize(forSampleRate: sampleRate)
        let stft = STFTProcessor(kernel: IdentityKernel(),
                                 configuration: STFTConfiguration(fftSize: fftSize, hopSize: fftSize / 4))
        try stft.prepare(for: spec)
        let reducer = NoiseReducer(settings: NoiseReducerSettings())
        try reducer.prepare(for: spec)
        let unguarded = NoiseReducer(settings: NoiseReducerSettings(babbleGuard: false))
        try unguarded.prepare(for: spec)
        let clock = ContinuousClock()
        func seconds(_ body: () -> Void) -> Double {
            let start = clock.now
            body()
            let elapsed = (clock.now - start).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        }
        let rotation = benchmark.currentIteration % 3
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var times = [0.0, 0.0, 0.0]  // STFT, reducer, reducer without the guard
            for step in 0..<3 {
                switch (step + rotation) % 3 {
                case 0: times[0] = seconds { run(stft, over: signal, blockFrames: 4096) }
                case 1: times[1] = seconds { run(reducer, over: signal, blockFrames: 4096) }
                default: times[2] = seconds { run(unguarded, over: signal, blockFrames: 4096) }
                }
            }
            let floor = max(times[0], 1e-9)
            benchmark.measurement(ratioToFloor, Int((100 * times[1] / floor).rounded()))
            benchmark.measurement(ratioToFloorWithoutGuard, Int((100 * times[2] / floor).rounded()))
        }
    }

    // Must be 0: process() may not allocate.
    Benchmark("NoiseReducer.process.mallocs.mono.48k.60s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 5)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let reducer = NoiseReducer(settings: NoiseReducerSettings())
        try reducer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { run(reducer, over: signal, blockFrames: 4096) }
    }

    Benchmark("HumRemover.process.60Hz.16harmonics.mono.48k.60s") { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let remover = HumRemover(configuration: HumRemoverConfiguration(fundamentalHertz: 60,
                                                                        harmonicNumbers: Array(1...16)))
        try remover.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        measureRealTime(benchmark, audioSeconds: seconds) { run(remover, over: signal, blockFrames: 4096) }
    }

    Benchmark("HumRemover.process.mallocs.mono.48k.60s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 5)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let remover = HumRemover(configuration: HumRemoverConfiguration(fundamentalHertz: 60,
                                                                        harmonicNumbers: Array(1...16)))
        try remover.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { run(remover, over: signal, blockFrames: 4096) }
    }

    // The hum tracker (issue 19): the sweep with a 50 Hz hum wobbling ±0.3 Hz (10 s period, 20 harmonics) added.
    // A stream of 60 s gives two 28 s chunks tracked in `process` and the last 4 s in `flush`.
    func humSignal() -> AudioBuffer {
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let samples = signal.channel(0)
        var phase = 0.0
        for i in 0..<frames {
            let t = Double(i) / sampleRate
            phase += 2 * Double.pi * (50 + 0.3 * sin(2 * Double.pi * t / 10)) / sampleRate
            var hum = 0.0
            for k in 1...20 { hum += 0.02 / Double(k) * cos(Double(k) * phase) }
            samples[i] += Float(hum)
        }
        return signal
    }

    func runAndFlush(_ remover: HumTrackingRemover, over signal: AudioBuffer, tail: AudioBuffer) {
        run(remover, over: signal, blockFrames: 4096)
        forEachBlock(of: tail, blockFrames: 4096) { remover.flush(into: $0) }
    }

    // The whole stream, flushed, from a reset tracker: × real time on one core (issue 19's target: 500×).
    Benchmark("HumTrackingRemover.process.50Hz.wobble.mono.48k.60s",
              configuration: .init(metrics: [.wallClock, realTime], maxDuration: .seconds(20),
                                   maxIterations: 10)) { benchmark in
        let signal = humSignal()
        let remover = HumTrackingRemover(fundamentalHertz: 50)
        try remover.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        let tail = AudioBuffer(channelCount: 1, capacity: remover.latencyFrames)
        benchmark.startMeasurement()
        measureRealTime(benchmark, audioSeconds: seconds) {
            remover.reset()
            runAndFlush(remover, over: signal, tail: tail)
        }
    }

    // Must be 0: process(), flush() and reset() may not allocate (two chunks tracked in `process`, one in `flush`).
    Benchmark("HumTrackingRemover.process.mallocs.mono.48k.60s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 3)) { benchmark in
        let signal = humSignal()
        let remover = HumTrackingRemover(fundamentalHertz: 50)
        try remover.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        let tail = AudioBuffer(channelCount: 1, capacity: remover.latencyFrames)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            remover.reset()  // (empties the reports in place: no allocation after `prepare`)
            runAndFlush(remover, over: signal, tail: tail)
        }
    }
}
