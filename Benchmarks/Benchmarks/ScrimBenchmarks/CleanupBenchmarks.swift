import Benchmark
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
    // framing at this rate) and the reducer over the same 60 s back to back, the STFT first in even iterations and
    // second in odd ones, and records reducer time / STFT time. A slow spell of the machine then falls on both
    // halves of a pair, where separate benchmarks seconds apart each catch their own (DESIGN.md: compare as
    // ratios in one run). Each iteration prepares a fresh STFT and reducer, as the separate benchmarks do.
    Benchmark("NoiseReducer.ratioToSTFT.adaptive.mono.48k.60s",
              configuration: .init(metrics: [.wallClock, ratioToFloor], maxDuration: .seconds(15),
                                   maxIterations: 40)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let spec = ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096)
        let fftSize = NoiseReducerSettings.fftSize(forSampleRate: sampleRate)
        let stft = STFTProcessor(kernel: IdentityKernel(),
                                 configuration: STFTConfiguration(fftSize: fftSize, hopSize: fftSize / 4))
        try stft.prepare(for: spec)
        let reducer = NoiseReducer(settings: NoiseReducerSettings())
        try reducer.prepare(for: spec)
        let clock = ContinuousClock()
        func seconds(_ body: () -> Void) -> Double {
            let start = clock.now
            body()
            let elapsed = (clock.now - start).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        }
        let reducerFirst = benchmark.currentIteration % 2 == 1
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var floor = 0.0, processor = 0.0
            if reducerFirst {
                processor = seconds { run(reducer, over: signal, blockFrames: 4096) }
                floor = seconds { run(stft, over: signal, blockFrames: 4096) }
            } else {
                floor = seconds { run(stft, over: signal, blockFrames: 4096) }
                processor = seconds { run(reducer, over: signal, blockFrames: 4096) }
            }
            benchmark.measurement(ratioToFloor, Int((100 * processor / max(floor, 1e-9)).rounded()))
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
}
