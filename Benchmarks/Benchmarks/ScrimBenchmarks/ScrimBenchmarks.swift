import Benchmark
import Scrim

let benchmarks: @Sendable () -> Void = {
    Benchmark("AudioBuffer.zeroNonFinite.60s.48k", configuration: .init(metrics: [.wallClock, .mallocCountTotal])) {
        benchmark in
        let buffer = AudioBuffer(channelCount: 1, capacity: 48_000 * 60)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(buffer.withBlock { $0.zeroNonFiniteSamples() })
        }
    }
}
