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
