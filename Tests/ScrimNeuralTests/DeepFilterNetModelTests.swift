import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// The `[df]` and `[deepfilternet]` sections of DeepFilterNet3's config.ini, with a `[train]` line, as text.
let dfn3ConfigText = """
    [train]
    seed = 43
    device = 
    model = deepfilternet3

    [df]
    sr = 48000
    fft_size = 960
    hop_size = 480
    nb_erb = 32
    nb_df = 96
    norm_tau = 1
    lsnr_max = 35
    lsnr_min = -15
    min_nb_erb_freqs = 2
    pad_mode = output
    df_order = 5
    df_lookahead = 2

    [deepfilternet]
    conv_lookahead = 2
    conv_ch = 64
    conv_kernel = 1,3
    """

@Suite struct DeepFilterNetConfigTests {
    @Test func parsesTheDFSection() throws {
        let config = try DeepFilterNetConfig(text: dfn3ConfigText)
        #expect(config.sampleRate == 48_000)
        #expect(config.fftSize == 960)
        #expect(config.hopSize == 480)
        #expect(config.binCount == 481)
        #expect(config.erbBandCount == 32)
        #expect(config.dfBinCount == 96)
        #expect(config.dfOrder == 5)
        #expect(config.dfLookahead == 2)
        #expect(config.convLookahead == 2)
        #expect(config.lookahead == 2)
        #expect(config.minimumBinsPerErbBand == 2)
        #expect(config.normalizationTau == 1)
        #expect(config.normalizationAlpha == 0.99)
        #expect(config.localSNRRange == -15...35)
        #expect(config.convolutionChannels == 64)
        #expect(config.modelType == "deepfilternet3")
        #expect(config.sections["train"]?["device"] == "")
        #expect(config.sections["df"]?["pad_mode"] == "output")
        #expect(config.sections["deepfilternet"]?["conv_kernel"] == "1,3")
    }

    @Test func normalizationAlphaFollowsLibDF() {
        // exp(−480/48000) = 0.990050 → 0.99; exp(−0.01/0.1) = 0.904837 → 0.905; a τ so long that three decimals
        // round to 1 takes more digits, as libDF's loop does: exp(−1e−5) = 0.99999 → 0.99999.
        #expect(DeepFilterNetConfig.normalizationAlpha(sampleRate: 48_000, hopSize: 480, tau: 1) == 0.99)
        #expect(DeepFilterNetConfig.normalizationAlpha(sampleRate: 48_000, hopSize: 480, tau: 0.1) == 0.905)
        #expect(DeepFilterNetConfig.normalizationAlpha(sampleRate: 100_000, hopSize: 1, tau: 1) == 0.99999)
    }

    @Test func takesDFOrderFromTheNetworkSectionWhenTheDFSectionLacksIt() throws {
        let text = dfn3ConfigText.replacingOccurrences(of: "df_order = 5\n", with: "")
            + "\ndf_order = 3\nnorm_alpha = 0.5\n"
        let config = try DeepFilterNetConfig(text: text)
        #expect(config.dfOrder == 3)
        #expect(config.normalizationAlpha == 0.99)  // norm_alpha landed in [deepfilternet], not [df]: unused
    }

    @Test func refusesMissingOrBadValues() {
        let cases: [(String, String)] = [
            (dfn3ConfigText.replacingOccurrences(of: "sr = 48000", with: ""), "no sr in [df]"),
            (dfn3ConfigText.replacingOccurrences(of: "hop_size = 480", with: "hop_size = 481"), "twice hop_size"),
            (dfn3ConfigText.replacingOccurrences(of: "nb_df = 96", with: "nb_df = ninety"), "not an integer"),
            (dfn3ConfigText.replacingOccurrences(of: "nb_erb = 32", with: "nb_erb = 500"), "must not exceed"),
            (dfn3ConfigText.replacingOccurrences(of: "deepfilternet3", with: "deepfilternet2"), "only deepfilternet3"),
            (dfn3ConfigText.replacingOccurrences(of: "norm_tau = 1", with: "norm_tau = 0"), "norm_tau"),
            (dfn3ConfigText.replacingOccurrences(of: "lsnr_min = -15", with: "lsnr_min = 40"), "below lsnr_max"),
            (dfn3ConfigText.replacingOccurrences(of: "[df]", with: "[df"), "unterminated section"),
            (dfn3ConfigText + "\njust words\n", "expected 'key = value'"),
        ]
        for (text, fragment) in cases {
            do {
                _ = try DeepFilterNetConfig(text: text)
                Issue.record("accepted a config that should fail with '\(fragment)'")
            } catch {
                #expect(error.code == .invalidDocument)
                #expect(error.message.contains(fragment), "\(error.message)")
            }
        }
    }
}

@Suite struct DeepFilterNetFolderTests {
    @Test func explicitThenEnvironmentThenXDGThenHome() {
        let explicit = URL(fileURLWithPath: "/models/mine")
        let env = ["SCRIM_MODEL_PATH": "/env/dfn3", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"]
        #expect(DeepFilterNet3Files.folder(explicit: explicit, environment: env) == (explicit, .explicit))
        #expect(DeepFilterNet3Files.folder(environment: env).url.path == "/env/dfn3")
        #expect(DeepFilterNet3Files.folder(environment: env).source == .environment)
        var noEnv = env
        noEnv["SCRIM_MODEL_PATH"] = ""
        #expect(DeepFilterNet3Files.folder(environment: noEnv).url.path == "/xdg/scrim/models/DeepFilterNet3")
        #expect(DeepFilterNet3Files.folder(environment: noEnv).source == .standard)
        noEnv["XDG_DATA_HOME"] = nil
        #expect(DeepFilterNet3Files.folder(environment: noEnv).url.path
            == "/home/u/.local/share/scrim/models/DeepFilterNet3")
    }

    @Test func aMissingModelNamesTheFetchScript() throws {
        let root = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let absent = root.appendingPathComponent("nothing-here")
        for (folder, env) in [(absent, [String: String]()), (nil, ["SCRIM_MODEL_PATH": absent.path]),
                              (nil, ["XDG_DATA_HOME": absent.path])] {
            do {
                _ = try DeepFilterNetModel(folder: folder, environment: env)
                Issue.record("loaded a model from a folder that does not exist")
            } catch {
                #expect(error.code == .modelNotFound)
                #expect(error.message.contains("scripts/fetch-model.sh"), "\(error.message)")
                #expect(error.message.contains(absent.path), "\(error.message)")
            }
        }
        #expect(!DeepFilterNet3Files.isInstalled(explicit: absent))
    }

    @Test func anIncompleteModelNamesTheMissingFile() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(dfn3ConfigText.utf8).write(to: folder.appendingPathComponent("config.ini"))
        do {
            _ = try DeepFilterNetModel(folder: folder, environment: [:])
            Issue.record("loaded an incomplete model")
        } catch {
            #expect(error.code == .modelNotFound)
            #expect(error.message.contains("enc.onnx is missing"), "\(error.message)")
            #expect(error.message.contains("scripts/fetch-model.sh"), "\(error.message)")
        }
    }

    @Test func aFileWithTheWrongChecksumIsRefused() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, _) in DeepFilterNet3Files.pinned {
            try Data("not the model".utf8).write(to: folder.appendingPathComponent(name))
        }
        #expect(DeepFilterNet3Files.isInstalled(explicit: folder))
        do {
            _ = try DeepFilterNetModel(folder: folder, environment: [:])
            Issue.record("loaded files with the wrong sha256")
        } catch {
            #expect(error.code == .invalidDocument)
            #expect(error.message.contains("enc.onnx is not the pinned DeepFilterNet3 file"), "\(error.message)")
            #expect(error.message.contains(SHA256.hash(Array("not the model".utf8))), "\(error.message)")
            #expect(error.message.contains(DeepFilterNet3Files.pinned[0].sha256), "\(error.message)")
        }
    }
}

/// The installed DeepFilterNet3, found where the loader looks by default ($SCRIM_MODEL_PATH, then the XDG data
/// folder). Skipped, not passed, when it is not installed: run scripts/fetch-model.sh.
@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "DeepFilterNet3 is not installed (run scripts/fetch-model.sh)"))
struct InstalledDeepFilterNet3Tests {
    static let loaded: Result<DeepFilterNetModel, ScrimError> = Result { () throws(ScrimError) in
        try DeepFilterNetModel()
    }

    /// The same files loaded without the tensor-table check, so a table mismatch shows as a difference below
    /// rather than as a load error (and so the table can be regenerated).
    static let unchecked: Result<DeepFilterNetModel, ScrimError> = Result { () throws(ScrimError) in
        try DeepFilterNetModel(folder: nil, environment: ProcessInfo.processInfo.environment, checkTensors: false)
    }

    private var model: DeepFilterNetModel {
        get throws { try Self.loaded.get() }
    }

    /// Sources/ScrimNeural/DFN3-tensors.txt, found from this file's path.
    static let listingURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/ScrimNeural/DFN3-tensors.txt")

    @Test func configHoldsDeepFilterNet3sParameters() throws {
        let config = try model.config
        #expect(config.sampleRate == 48_000)
        #expect(config.fftSize == 960)
        #expect(config.hopSize == 480)
        #expect(config.erbBandCount == 32)
        #expect(config.dfBinCount == 96)
        #expect(config.dfOrder == 5)
        #expect(config.dfLookahead == 2)
        #expect(config.convLookahead == 2)
        #expect(config.lookahead == 2)
        #expect(config.minimumBinsPerErbBand == 2)
        #expect(config.normalizationTau == 1)
        #expect(config.normalizationAlpha == 0.99)
        #expect(config.localSNRRange == -15...35)
        #expect(config.convolutionChannels == 64)
        #expect(config.sections["deepfilternet"]?["emb_hidden_dim"] == "256")
        #expect(config.sections["deepfilternet"]?["df_hidden_dim"] == "256")
        #expect(config.sections["deepfilternet"]?["linear_groups"] == "16")
        #expect(config.sections["deepfilternet"]?["enc_linear_groups"] == "32")
        #expect(config.sections["df"]?["pad_mode"] == "output")
    }

    @Test func loadingChecksChecksumsConfigAndTensors() throws {
        let model = try model
        #expect(model.folder == DeepFilterNet3Files.folder().url)
        #expect(model.graphs.map(\.file) == ["enc.onnx", "erb_dec.onnx", "df_dec.onnx"])
    }

    @Test func tensorsMatchTheTableAndTheCommittedListing() throws {
        let model = try Self.unchecked.get()
        let found = DeepFilterNet3Tensors.inventory(model)
        #expect(found == DeepFilterNet3Tensors.expected)
        #expect(found.count == 71)
        let listing = DeepFilterNet3Tensors.listing(found)
        if ProcessInfo.processInfo.environment["SCRIM_WRITE_DFN3_TENSORS"] == "1" {
            try Data(listing.utf8).write(to: Self.listingURL)
        }
        let committed = try String(contentsOf: Self.listingURL, encoding: .utf8)
        #expect(committed == listing, "DFN3-tensors.txt is stale; rerun with SCRIM_WRITE_DFN3_TENSORS=1")
        #expect(DeepFilterNet3Tensors.listing(DeepFilterNet3Tensors.expected) == committed)
    }

    @Test func weightsAreFiniteAndHoldEveryElement() throws {
        for (file, onnx) in try model.graphs {
            for tensor in onnx.graph.initializers + onnx.graph.constantTensors
            where tensor.dataType == ONNXTensor.DataType.float {
                #expect(tensor.floats.count == tensor.elementCount, "\(file) \(tensor.name)")
                #expect(tensor.floats.allSatisfy { $0.isFinite }, "\(file) \(tensor.name)")
            }
        }
        let encoder = try model.encoder.graph
        // The local SNR mapping: sigmoid · (lsnr_max − lsnr_min) + lsnr_min.
        #expect(encoder.tensor(named: "/Constant_8_output_0")?.floats == [50])
        #expect(encoder.tensor(named: "/Constant_9_output_0")?.floats == [-15])
    }

    @Test func graphInterfacesAndOperators() throws {
        let model = try model
        func shapes(_ values: [ONNXValueInfo]) -> [String] {
            values.map { v in "\(v.name) " + (v.shape ?? []).map(\.description).joined(separator: "x") }
        }
        let encoder = model.encoder.graph
        #expect(shapes(encoder.inputs) == ["feat_erb 1x1xSx32", "feat_spec 1x2xSx96"])
        #expect(encoder.outputs.map(\.name) == ["e0", "e1", "e2", "e3", "emb", "c0", "lsnr"])
        #expect(shapes(model.erbDecoder.graph.inputs)
            == ["emb 1xSx512", "e3 1x64xSx8", "e2 1x64xSx8", "e1 1x64xSx16", "e0 1x64xSx32"])
        #expect(shapes(model.dfDecoder.graph.inputs) == ["emb 1xSx512", "c0 1x64xSx96"])
        for (file, onnx) in model.graphs {
            #expect(onnx.operatorSets == ["": 12], "\(file)")
            #expect(onnx.irVersion == 7, "\(file)")
        }
        #expect(encoder.nodes.count == 155)
        #expect(model.erbDecoder.graph.nodes.count == 107)
        #expect(model.dfDecoder.graph.nodes.count == 113)
        #expect(encoder.operatorCounts["GRU"] == 1)
        #expect(model.erbDecoder.graph.operatorCounts["ConvTranspose"] == 2)
        #expect(model.dfDecoder.graph.operatorCounts["GRU"] == 2)
        let gru = try #require(encoder.nodes.first { $0.opType == "GRU" })
        #expect(gru.attribute(named: "hidden_size")?.int == 256)
        #expect(gru.attribute(named: "linear_before_reset")?.int == 1)
    }
}
