import Foundation
import ScrimCore

/// The controls of ``NeuralNoiseReducer``, named and scaled like the spectral engine's where they mean the same.
public struct NeuralNoiseReducerSettings: Sendable, Hashable {
    /// What the reducer writes.
    public enum Output: String, Sendable, Hashable, CaseIterable {
        /// The enhanced dialogue (default).
        case cleaned
        /// What was removed: the input, delayed by the latency, minus the cleaned signal (to listen for voice
        /// taken with the noise).
        case residual
        /// The input delayed by the latency, untouched: the same timing as the other two, for A/B comparison.
        case bypass
    }

    /// How the network's output is used.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Scrim's dialogue refinement on top of the network (see ``NeuralNoiseReducer``): the default.
        case dialogue
        /// DeepFilterNet3 exactly as its reference runtime (libDF's C API) runs it: for comparison and for the
        /// exactness check against libdeepfilter.
        case reference
    }

    /// Deepest cut in dB (libDF's attenuation limit: the output is the cleaned signal mixed with
    /// 10^(−limit/20) of the input), 0…100; nil or ≥ 100 for no limit.
    public var reductionLimitDecibels: Double?
    /// What to write.
    public var output: Output
    /// libDF's post-filter (β = ``postFilterBeta``) on or off (default off, as libDF).
    public var postFilter: Bool
    /// Dialogue refinement or the plain reference network.
    public var mode: Mode

    /// The largest limit that is a limit; ≥ this means none.
    public static let noLimitDecibels = 100.0
    /// The post-filter strength when on: libDF's usual value (DeepFilterNet's `--pf` uses β = 0.02,
    /// libDF/src/tract.rs:170-175).
    public static let postFilterBeta: Float = 0.02
    /// The reduction limit of `scrim denoise --engine neural` when none is given: none, as the reference.
    public static let defaultReductionDecibels: Double? = nil

    /// Creates settings; every parameter has the documented default.
    public init(reductionLimitDecibels: Double? = Self.defaultReductionDecibels, output: Output = .cleaned,
                postFilter: Bool = false, mode: Mode = .dialogue) {
        self.reductionLimitDecibels = reductionLimitDecibels
        self.output = output
        self.postFilter = postFilter
        self.mode = mode
    }

    /// The limit in effect: nil when none (nil, or ≥ ``noLimitDecibels``).
    public var effectiveLimitDecibels: Double? {
        guard let limit = reductionLimitDecibels, limit < Self.noLimitDecibels else { return nil }
        return limit
    }

    /// Throws ``ScrimError`` `.configuration` when the limit is not a number of dB from 0 to 100.
    public func validate() throws(ScrimError) {
        if let limit = reductionLimitDecibels, !(limit.isFinite && limit >= 0 && limit <= Self.noLimitDecibels) {
            throw ScrimError(.configuration, "neural reduction limit \(limit) dB: use 0 to 100 dB (100: no limit)")
        }
    }

    /// libDF's runtime parameters for these settings: the C API's thresholds (−15/35/35 dB), the attenuation
    /// limit, and the post-filter.
    public var networkSettings: DeepFilterNet3.Settings {
        var settings = DeepFilterNet3.Settings.libDFCAPI
        settings.attenuationLimit = effectiveLimitDecibels.map { Float($0) }
        settings.postFilterBeta = postFilter ? Self.postFilterBeta : 0
        return settings
    }
}

extension NeuralNoiseReducerSettings.Output {
    /// Writes `count` frames of this kind into `destination` from the cleaned signal and the noisy input lined up
    /// with it (residual = noisy − cleaned, bypass = noisy). `destination` may be `cleaned` itself. No allocation.
    public func write(cleaned: UnsafePointer<Float>, noisy: UnsafePointer<Float>,
                      into destination: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .cleaned:
            if UnsafePointer(destination) != cleaned { destination.update(from: cleaned, count: count) }
        case .residual:
            for i in 0..<count { destination[i] = noisy[i] - cleaned[i] }
        case .bypass:
            destination.update(from: noisy, count: count)
        }
    }
}

/// What a ``NeuralNoiseReducer`` did to a stream. Levels are RMS in dBFS (1.0 = 0 dBFS), floored at −200 dBFS.
public struct NeuralNoiseReductionReport: Codable, Sendable, Hashable {
    /// "dialogue" or "reference".
    public var mode: String
    /// "cleaned", "residual" or "bypass".
    public var output: String
    /// The reduction limit in dB, nil for none.
    public var reductionLimitDecibels: Double?
    /// Whether the post-filter ran.
    public var postFilter: Bool
    /// The rate the network ran at (48 000) and the stream's rate (resampled both ways when they differ).
    public var networkSampleRate: Int
    public var streamSampleRate: Double
    /// The processor's latency in stream frames (compensated by the file pipeline).
    public var latencyFrames: Int
    /// Network hops (10 ms) processed, over all channels.
    public var frames: Int
    /// RMS level of the input over the hops the network heard as noise only (local SNR below
    /// ``NeuralNoiseReducer/speechThresholdDecibels``); nil when there were none.
    public var noiseFloorBeforeDecibelsFS: DecibelsFullScale?
    /// The cleaned signal's RMS level over the same hops.
    public var noiseFloorAfterDecibelsFS: DecibelsFullScale?
    /// Mean over hops of the hop's cut, 10·log10(Σx²/Σy²) (input delayed to the output, cleaned output), dB;
    /// hops whose input is below −120 dBFS are not counted. nil when none counted.
    public var averageReductionDecibels: Decibels?
    /// The deepest hop cut, dB.
    public var maximumReductionDecibels: Decibels?
    /// The network's local SNR estimate over the take (all channels), dB: median, 10th and 90th percentile, to
    /// 0.05 dB (a histogram over the network's range −15…35 dB). nil before any hop.
    public var localSNRMedianDecibels: Decibels?
    public var localSNRPercentile10Decibels: Decibels?
    public var localSNRPercentile90Decibels: Decibels?
    /// The share of hops (0…1) the network heard as speech: local SNR at or above
    /// ``NeuralNoiseReducer/speechThresholdDecibels``.
    public var speechShare: Double?
    /// NaN and ±Inf input samples replaced by 0 before processing.
    public var invalidSamplesZeroed: Int
    /// Dialogue mode: the networks averaged, "forward+reverse" (a whole file: the take also run backwards) or
    /// "half-hop" (a stream: a second network half a hop later); nil in reference mode.
    public var ensemble: String? = nil
    /// Dialogue mode on a whole file: the guard's strength γ (0…1; the largest over the channels): how far the
    /// output was eased towards the input because the network removed far more than it kept over the take.
    public var guardStrength: Double? = nil
    /// Dialogue mode: the share of frames (0…1) in which the long-term SNR gate let the noisy signal back into the
    /// bins where the voice stands clear of the noise.
    public var mixBackShare: Double? = nil
}

/// The report's sums over hops of input against output: the noise floor before and after over the hops heard as
/// noise, and the cut per hop (10·log10(Σx²/Σy²), hops above −120 dBFS). Shared by the stream and the whole-file
/// dialogue mode. No allocation.
public struct NeuralReductionSums: Sendable {
    public private(set) var noiseHops = 0
    public private(set) var noiseEnergyIn = 0.0
    public private(set) var noiseEnergyOut = 0.0
    public private(set) var cutHops = 0
    public private(set) var cutSum = 0.0
    public private(set) var cutMaximum = -Double.infinity

    public init() {}

    /// Adds one hop: `energyIn` (Σx² of the input lined up with the output) and `energyOut` (Σy²), over `hopSize`
    /// frames; `noise` when the network heard the hop as noise only.
    public mutating func add(energyIn: Double, energyOut: Double, hopSize: Int, noise: Bool) {
        if noise {
            noiseHops += 1
            noiseEnergyIn += energyIn
            noiseEnergyOut += energyOut
        }
        // −120 dBFS mean square over the hop.
        if energyIn / Double(hopSize) > 1e-12 {
            let cut = 10 * log10(energyIn / max(energyOut, 1e-30))
            cutHops += 1
            cutSum += cut
            cutMaximum = max(cutMaximum, cut)
        }
    }

    /// Writes the noise floors and the cuts into `report` (hops of `hopSize` frames).
    public func apply(to report: inout NeuralNoiseReductionReport, hopSize: Int) {
        func level(_ energy: Double) -> Double? {
            noiseHops > 0 ? max(10 * log10(max(energy / Double(noiseHops * hopSize), 1e-20)), -200) : nil
        }
        report.noiseFloorBeforeDecibelsFS = level(noiseEnergyIn)
        report.noiseFloorAfterDecibelsFS = level(noiseEnergyOut)
        report.averageReductionDecibels = cutHops > 0 ? cutSum / Double(cutHops) : nil
        report.maximumReductionDecibels = cutHops > 0 ? cutMaximum : nil
    }
}
