import Foundation
import Testing
@testable import Scrim

/// The neural engine's dialogue mode against its numpy reference (Benchmarks/neural/dialogue_reference.py:
/// Benchmarks/quality/neural_post.py's `post()` with libDF's own runtime as the network), without Python: the
/// fixture holds a 2.5 s take, the reference's whole-file output and its streaming output. Every step of the
/// refinement is continuous in its inputs (clamps, a minimum, no decisions), so the port differs from the float64
/// reference by float32 rounding and the network's own −117 dB: −80 dB of error energy relative to the output leaves
/// a wide margin for that (measured about −120 dB) and catches any misalignment (a frame off is about −15 dB) or a
/// wrong constant.
@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct NeuralFileJobTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/neural/fixtures/dfn3-dialogue.wav").path

    /// Error energy of `actual` against `expected`, dB relative to `expected`'s energy.
    static func errorDecibels(_ actual: [Float], _ expected: [Float]) -> Double {
        var error = 0.0, energy = 0.0
        for (a, e) in zip(actual, expected) {
            error += Double(a - e) * Double(a - e)
            energy += Double(e) * Double(e)
        }
        return 10 * log10(max(error, 1e-30) / max(energy, 1e-30))
    }

    @Test func wholeFileModeMatchesTheReference() throws {
        let (_, channels) = try readAll(Self.fixture)
        try #require(channels.count == 3)
        let folder = TemporaryFolder()
        let input = folder.file("take.wav"), output = folder.file("clean.wav")
        try writeWAV(input, [channels[0]], sampleFormat: .float32)
        let network = try NeuralModelCache.shared.network()
        let (file, report) = try NeuralFileJob.process(
            input: input, output: output, model: network.model, weights: network.weights,
            settings: NeuralNoiseReducerSettings(), options: FileJobOptions(blockFrames: 1000))
        let (_, written) = try readAll(output)
        #expect(file.frameCount == channels[0].count && written[0].count == channels[0].count)
        let error = Self.errorDecibels(written[0], channels[1])
        #expect(error < -80, "whole-file mode differs from the reference by \(error) dB")
        #expect(report.ensemble == "forward+reverse")
        let share = try #require(report.mixBackShare)
        #expect(share > 0 && share < 1, "the gate opens in the quieter half only: \(share)")
        // Both intermediates are gone: only the input and the output are left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["clean.wav", "take.wav"])
    }

    @Test func streamingModeMatchesTheReference() throws {
        let (_, channels) = try readAll(Self.fixture)
        try #require(channels.count == 3)
        let network = try NeuralModelCache.shared.network()
        let reducer = NeuralNoiseReducer(model: network.model, weights: network.weights)
        try reducer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 1000))
        let aligned = reducer.processAligned(AudioBuffer(channels: [channels[0]]), blockFrames: [1000, 7])
        let error = Self.errorDecibels(aligned.channelArrays()[0], channels[2])
        #expect(error < -80, "streaming mode differs from the reference by \(error) dB")
        #expect(reducer.report.ensemble == "half-hop")
    }

    /// Write modes of the whole-file mode: bypass is the input itself (the refiner's frames in, untouched), and
    /// cleaned + residual is the input to float rounding.
    @Test func wholeFileWriteModesLineUp() throws {
        let (_, channels) = try readAll(Self.fixture)
        let folder = TemporaryFolder()
        let input = folder.file("take.wav")
        try writeWAV(input, [channels[0], channels[0].reversed()], sampleFormat: .float32)
        let network = try NeuralModelCache.shared.network()
        var outputs: [NeuralNoiseReducerSettings.Output: [[Float]]] = [:]
        for kind in NeuralNoiseReducerSettings.Output.allCases {
            let path = folder.file("\(kind.rawValue).wav")
            _ = try NeuralFileJob.process(input: input, output: path, model: network.model, weights: network.weights,
                                          settings: NeuralNoiseReducerSettings(output: kind))
            outputs[kind] = try readAll(path).1
        }
        let bypass = try #require(outputs[.bypass]), cleaned = try #require(outputs[.cleaned])
        let residual = try #require(outputs[.residual])
        for c in 0..<2 {
            #expect(bypass[c] == (c == 0 ? channels[0] : channels[0].reversed()))
            let worst = zip(zip(cleaned[c], residual[c]), bypass[c]).map { abs($0.0 + $0.1 - $1) }.max() ?? 1
            #expect(worst < 1e-6, "channel \(c): cleaned + residual is off the input by \(worst)")
        }
    }
}
