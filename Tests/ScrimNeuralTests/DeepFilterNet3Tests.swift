import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// The end-to-end fixture written by Benchmarks/neural/libdf_reference.py: a 48 kHz two-channel float WAV, channel
/// 0 the input, channel 1 libDF's `df_process_frame` output (C API settings), and libDF's local SNR per hop.
struct DFNLibDFFixture {
    var input: [Float]
    var output: [Float]
    var lsnr: [Float]

    static let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/neural/fixtures/dfn3-libdf-e2e")

    struct Side: Decodable { var lsnr: [Float] }

    /// Reads a float WAV as the script writes it (RIFF, `fmt ` format 3, 48 kHz, 32-bit, then `data`): the channels.
    static func readWAV(_ url: URL) throws -> [[Float]] {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        var at = 12
        var channelCount = 0
        var channels = [[Float]]()
        while at + 8 <= bytes.count {
            let id = String(decoding: bytes[at..<(at + 4)], as: UTF8.self), size = u32(at + 4)
            if id == "fmt " {
                #expect(u16(at + 8) == 3 && u32(at + 12) == 48_000 && u16(at + 22) == 32)
                channelCount = u16(at + 10)
            } else if id == "data", channelCount > 0 {
                channels = [[Float]](repeating: [], count: channelCount)
                for frame in 0..<(size / (4 * channelCount)) {
                    for c in 0..<channelCount {
                        let p = at + 8 + (frame * channelCount + c) * 4
                        channels[c].append(Float(bitPattern: UInt32(u32(p))))
                    }
                }
            }
            at += 8 + size
        }
        return channels
    }

    static func load() throws -> DFNLibDFFixture {
        let channels = try readWAV(base.appendingPathExtension("wav"))
        #expect(channels.count == 2)
        let input = channels[0], output = channels[1]
        let side = try JSONDecoder().decode(Side.self, from: Data(contentsOf: base.appendingPathExtension("json")))
        return DFNLibDFFixture(input: input, output: output, lsnr: side.lsnr)
    }
}

@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct DeepFilterNet3Tests {
    static let model: DeepFilterNetModel? = try? DeepFilterNetModel()

    /// Runs `network` hop by hop over `input` (a whole number of hops); returns the output and the local SNRs.
    static func run(_ network: DeepFilterNet3, _ input: [Float]) -> (output: [Float], lsnr: [Float]) {
        let hop = network.hopSize
        var output = [Float](repeating: 0, count: input.count)
        var lsnr = [Float]()
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for h in 0..<(input.count / hop) {
                    let slice = UnsafeBufferPointer(rebasing: source[(h * hop)..<((h + 1) * hop)])
                    let target = UnsafeMutableBufferPointer(rebasing: destination[(h * hop)..<((h + 1) * hop)])
                    lsnr.append(network.process(slice, into: target))
                }
            }
        }
        return (output, lsnr)
    }

    /// The whole network against libDF's own output for the same input and the C API's settings. Reports the
    /// error energy relative to libDF's output energy in dB.
    @Test func matchesLibDF() throws {
        let fixture = try DFNLibDFFixture.load()
        let model = try #require(Self.model)
        let network = try DeepFilterNet3(model: model, settings: .libDFCAPI)
        #expect(network.latencyFrames == 1440)
        let (output, lsnr) = Self.run(network, fixture.input)
        #expect(output.count == fixture.output.count && lsnr.count == fixture.lsnr.count)
        let (relativeDB, worst) = Self.relativeError(output, fixture.output)
        let lsnrError = zip(lsnr, fixture.lsnr).map { abs($0 - $1) }.max() ?? 0
        print("DeepFilterNet3 vs libDF: error energy \(relativeDB) dB of libDF's output energy, max |error| "
              + "\(worst) (output peak \(fixture.output.map(abs).max() ?? 0)); max local-SNR difference "
              + "\(lsnrError) dB")
        #expect(lsnrError < 0.01, "local SNR differs by up to \(lsnrError) dB")
        #expect(relativeDB < -60, "error energy \(relativeDB) dB relative to libDF's output")
    }

    /// Error energy of `output` relative to `reference`'s energy in dB, and the largest error.
    static func relativeError(_ output: [Float], _ reference: [Float]) -> (decibels: Double, worst: Float) {
        var errorEnergy = 0.0, referenceEnergy = 0.0, worst: Float = 0
        for (mine, theirs) in zip(output, reference) {
            errorEnergy += Double(mine - theirs) * Double(mine - theirs)
            referenceEnergy += Double(theirs) * Double(theirs)
            worst = max(worst, abs(mine - theirs))
        }
        return (10 * log10(max(errorEnergy, 1e-30) / referenceEnergy), worst)
    }

    /// libDF's attenuation limit (12 dB) and post-filter (β = 0.02) against fresh libDF instances on 0.5 s of the
    /// signal (fixtures/dfn3-libdf-e2e-options.wav).
    @Test func attenuationLimitAndPostFilterMatchLibDF() throws {
        let channels = try DFNLibDFFixture.readWAV(DFNLibDFFixture.base.deletingLastPathComponent()
            .appendingPathComponent("dfn3-libdf-e2e-options.wav"))
        try #require(channels.count == 3)
        let model = try #require(Self.model)
        for (name, settings, reference) in [("attenuation limit 12 dB", DeepFilterNet3.Settings(attenuationLimit: 12),
                                             channels[1]),
                                            ("post-filter 0.02", DeepFilterNet3.Settings(postFilterBeta: 0.02),
                                             channels[2])] {
            let (output, _) = Self.run(try DeepFilterNet3(model: model, settings: settings), channels[0])
            let (decibels, worst) = Self.relativeError(output, reference)
            print("DeepFilterNet3 (\(name)) vs libDF: error energy \(decibels) dB, max |error| \(worst)")
            #expect(decibels < -60, "\(name): \(decibels) dB")
        }
    }

    /// The same input split differently gives the same bits (the network runs per hop, so only the reset matters).
    @Test func resetGivesAFreshNetwork() throws {
        let fixture = try DFNLibDFFixture.load()
        let model = try #require(Self.model)
        let network = try DeepFilterNet3(model: model)
        let part = Array(fixture.input[0..<(480 * 60)])
        let first = Self.run(network, part)
        network.reset()
        let second = Self.run(network, part)
        #expect(first.output == second.output && first.lsnr == second.lsnr)
    }

    /// The local-SNR stages (tract.rs:658-672): with a top threshold below any estimate every hop counts as clean
    /// (no gains, no deep filter), so the output is libDF's plain analysis and synthesis, the input 1440 samples
    /// later; with a bottom threshold above any estimate every hop gets zero gains, so the output is silence.
    @Test func stagesFollowTheThresholds() throws {
        let fixture = try DFNLibDFFixture.load()
        let model = try #require(Self.model)
        let input = Array(fixture.input[(480 * 40)..<(480 * 100)])
        let clean = try DeepFilterNet3(model: model, settings: .init(maximumERBThreshold: -100,
                                                                     maximumDFThreshold: -100))
        let (passed, _) = Self.run(clean, input)
        var worst: Float = 0
        for n in 1440..<input.count { worst = max(worst, abs(passed[n] - input[n - 1440])) }
        #expect(worst < 1e-6, "clean path differs from the delayed input by \(worst)")
        let noise = try DeepFilterNet3(model: model, settings: .init(minimumThreshold: 100))
        let (silenced, _) = Self.run(noise, input)
        #expect(silenced.allSatisfy { $0 == 0 })
    }

    /// Time per 10 ms hop of the whole network (for the report; no bound: debug builds are ~20× slower).
    @Test func perHopTime() throws {
        let fixture = try DFNLibDFFixture.load()
        let model = try #require(Self.model)
        let network = try DeepFilterNet3(model: model)
        let input = Array(fixture.input[(480 * 50)..<(480 * 150)])
        let clock = ContinuousClock()
        var output = [Float]()
        let elapsed = clock.measure { output = Self.run(network, input).output }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("DeepFilterNet3: \(seconds / 100 * 1e6) µs per 10 ms hop (100 hops), real-time factor "
              + "\(seconds / 1.0)")
        #expect(output.allSatisfy { $0.isFinite })
    }

    /// Digital silence in gives silence out, and libDF's silence skip leaves its state untouched.
    @Test func silenceStaysSilent() throws {
        let model = try #require(Self.model)
        let network = try DeepFilterNet3(model: model)
        let (output, _) = Self.run(network, [Float](repeating: 0, count: 480 * 20))
        #expect(output.allSatisfy { $0 == 0 })
    }
}
