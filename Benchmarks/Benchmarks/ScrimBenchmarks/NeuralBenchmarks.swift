import Benchmark
import Scrim

/// The neural engine (issue 18, item 8): its speed as a ratio to the bare STFT round trip at the network's own
/// framing (960 points, hop 480), measured pair by pair in one run as the spectral reducer's ratio is, and its
/// allocations in `process` (must be 0). Needs the DeepFilterNet3 model (scripts/fetch-model.sh); without it these
/// benchmarks are not registered and a line on standard error says so.
func neuralBenchmarks(sampleRate: Double, seconds: Double) {
    guard let model = try? DeepFilterNetModel() else {
        print("NeuralBenchmarks: the DeepFilterNet3 model is not installed (scripts/fetch-model.sh); skipped")
        return
    }
    let frames = Int(sampleRate * seconds)

    Benchmark("NeuralNoiseReducer.process.mono.48k.\(Int(seconds))s",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(30),
                                   maxIterations: 5)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let reducer = NeuralNoiseReducer(model: model)
        try reducer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        measureRealTime(benchmark, audioSeconds: seconds) { run(reducer, over: signal, blockFrames: 4096) }
    }

    // Network time / bare STFT time over the same audio, back to back in each iteration (order rotating).
    Benchmark("NeuralNoiseReducer.ratioToSTFT.mono.48k.\(Int(seconds))s",
              configuration: .init(metrics: [.wallClock, ratioToFloor], maxDuration: .seconds(30),
                                   maxIterations: 6)) { benchmark in
        let signal = makeSignal(channels: 1, frames: frames, sampleRate: sampleRate)
        let spec = ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096)
        let stft = STFTProcessor(kernel: IdentityKernel(), configuration: STFTConfiguration(fftSize: 960, hopSize: 480))
        try stft.prepare(for: spec)
        let reducer = NeuralNoiseReducer(model: model)
        try reducer.prepare(for: spec)
        let clock = ContinuousClock()
        func time(_ body: () -> Void) -> Double {
            let start = clock.now
            body()
            let elapsed = (clock.now - start).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        }
        let stftFirst = benchmark.currentIteration % 2 == 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var floor = 0.0, network = 0.0
            if stftFirst { floor = time { run(stft, over: signal, blockFrames: 4096) } }
            network = time { run(reducer, over: signal, blockFrames: 4096) }
            if !stftFirst { floor = time { run(stft, over: signal, blockFrames: 4096) } }
            benchmark.measurement(ratioToFloor, Int((100 * network / max(floor, 1e-9)).rounded()))
        }
    }

    // Must be 0: process() may not allocate.
    Benchmark("NeuralNoiseReducer.process.mallocs.mono.48k.10s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 3)) { benchmark in
        let signal = makeSignal(channels: 1, frames: Int(sampleRate * 10), sampleRate: sampleRate)
        let reducer = NeuralNoiseReducer(model: model)
        try reducer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { run(reducer, over: signal, blockFrames: 4096) }
    }
}

/// The resampling wrapper the neural engine uses at rates other than 48 kHz.
func resamplingBenchmarks() {
    // Must be 0: the resampling wrapper's process() may not allocate either (libsoxr's FIFOs are grown by its
    // pre-roll in prepare), at a rate that resamples both ways.
    Benchmark("ResamplingProcessor.process.mallocs.stereo.44k1.10s",
              configuration: .init(metrics: [.mallocCountTotal, .wallClock], maxIterations: 3)) { benchmark in
        let rate = 44_100.0
        let signal = makeSignal(channels: 2, frames: Int(rate * 10), sampleRate: rate)
        let resampling = ResamplingProcessor(inner: PassThrough(), innerSampleRate: 48_000)
        try resampling.prepare(for: ProcessSpec(sampleRate: rate, channelCount: 2, maximumBlockFrames: 4096))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { run(resampling, over: signal, blockFrames: 4096) }
    }
}
