import Foundation
import ScrimCore
import ScrimSpectral

/// The signal-side parameters of DeepFilterNet: STFT, ERB filterbank, feature normalisation and the deep filter's
/// size and alignment. ``DFNFrontEnd`` and ``DFNBackEnd`` take them; ``deepFilterNet3`` holds the values of the
/// DeepFilterNet3 `config.ini` (`[df]` and `[deepfilternet]`), and ``init(config:)`` takes them from a loaded one.
///
/// Source: DeepFilterNet at commit d375b2d8, libDF/src/lib.rs (DFState) and libDF/src/tract.rs (DfTract).
public struct DFNSignalParameters: Sendable, Equatable {
    /// Sample rate in hertz (48 000 for DeepFilterNet3).
    public var sampleRate: Int
    /// STFT and window length in samples (960 = 20 ms).
    public var fftSize: Int
    /// Hop in samples (480 = 10 ms): one network frame.
    public var hopSize: Int
    /// ERB bands of the gain stage (32).
    public var erbBandCount: Int
    /// The fewest STFT bins an ERB band may have (`min_nb_erb_freqs`, 2).
    public var minimumBinsPerErbBand: Int
    /// Low STFT bins the deep filter works on, 0 ..< dfBinCount (96, up to 4.8 kHz).
    public var dfBinCount: Int
    /// Deep-filter taps in frames (5).
    public var dfOrder: Int
    /// Future frames the deep filter reaches (`df_lookahead`, 2).
    public var dfLookahead: Int
    /// Lookahead of the encoder's convolutions in frames (`conv_lookahead`, 2).
    public var convLookahead: Int
    /// Per-frame factor α of the exponential feature normalisation (0.99 from `norm_tau` = 1 s; tract.rs:989-999).
    public var normalizationAlpha: Float

    /// STFT bins per frame, `fftSize / 2 + 1` (481).
    public var binCount: Int { fftSize / 2 + 1 }
    /// libDF's `lookahead`, `max(convLookahead, dfLookahead)` frames (tract.rs:313).
    public var lookahead: Int { max(convLookahead, dfLookahead) }

    /// Memberwise initialiser; ``DFNFrontEnd`` and ``DFNBackEnd`` check the values.
    public init(sampleRate: Int, fftSize: Int, hopSize: Int, erbBandCount: Int, minimumBinsPerErbBand: Int,
                dfBinCount: Int, dfOrder: Int, dfLookahead: Int, convLookahead: Int, normalizationAlpha: Float) {
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.erbBandCount = erbBandCount
        self.minimumBinsPerErbBand = minimumBinsPerErbBand
        self.dfBinCount = dfBinCount
        self.dfOrder = dfOrder
        self.dfLookahead = dfLookahead
        self.convLookahead = convLookahead
        self.normalizationAlpha = normalizationAlpha
    }

    /// The parameters of a loaded model's `config.ini`.
    public init(config: DeepFilterNetConfig) {
        self.init(sampleRate: config.sampleRate, fftSize: config.fftSize, hopSize: config.hopSize,
                  erbBandCount: config.erbBandCount, minimumBinsPerErbBand: config.minimumBinsPerErbBand,
                  dfBinCount: config.dfBinCount, dfOrder: config.dfOrder, dfLookahead: config.dfLookahead,
                  convLookahead: config.convLookahead, normalizationAlpha: config.normalizationAlpha)
    }

    /// DeepFilterNet3's values (its `config.ini`, as installed by scripts/fetch-model.sh; libDF's
    /// `DFState::default`, lib.rs:228-232, has the same STFT and filterbank).
    public static let deepFilterNet3 = DFNSignalParameters(
        sampleRate: 48_000, fftSize: 960, hopSize: 480, erbBandCount: 32, minimumBinsPerErbBand: 2,
        dfBinCount: 96, dfOrder: 5, dfLookahead: 2, convLookahead: 2, normalizationAlpha: 0.99)

    /// Bins per ERB band (``DFNTables/erbWidths(sampleRate:fftSize:bandCount:minimumBins:)``), shared by the front
    /// end's features and the back end's gains.
    public var erbWidths: [Int] {
        DFNTables.erbWidths(sampleRate: sampleRate, fftSize: fftSize, bandCount: erbBandCount,
                            minimumBins: minimumBinsPerErbBand)
    }

    /// Throws unless these parameters describe a STFT and filterbank libDF could run.
    func validate() throws(ScrimError) {
        guard sampleRate > 0, fftSize % 2 == 0, RealFFT.supportedSizes.contains(fftSize), hopSize > 0,
              2 * hopSize <= fftSize
        else {
            throw ScrimError(.configuration,
                             "DeepFilterNet STFT \(fftSize)/\(hopSize) at \(sampleRate) Hz is not supported: the FFT "
                                 + "size must be even (16…65536) and at least twice the hop, e.g. 960/480 at 48000")
        }
        guard erbBandCount >= 2, minimumBinsPerErbBand >= 1, erbBandCount * minimumBinsPerErbBand <= binCount,
              (1...binCount).contains(dfBinCount), dfOrder >= 1, dfLookahead >= 0, convLookahead >= 0,
              dfOrder > dfLookahead, normalizationAlpha > 0, normalizationAlpha < 1
        else {
            throw ScrimError(.configuration,
                             "DeepFilterNet parameters out of range (\(erbBandCount) ERB bands of at least "
                                 + "\(minimumBinsPerErbBand) bins, \(dfBinCount) DF bins, order \(dfOrder), "
                                 + "lookahead \(dfLookahead)/\(convLookahead), alpha \(normalizationAlpha)); "
                                 + "use DFNSignalParameters.deepFilterNet3's values")
        }
    }
}

/// DeepFilterNet's fixed signal tables, computed as libDF computes them.
public enum DFNTables {
    /// Widths in STFT bins of the ERB bands, low to high; they sum to `fftSize / 2 + 1`.
    ///
    /// libDF's `erb_fb` (lib.rs:68-100), in the same single-precision arithmetic: band edges equally spaced on
    /// the ERB scale `9.265·ln(1 + f/(24.7·9.265))` (lib.rs:42-47) from 0 Hz to Nyquist, rounded to bins; a band
    /// narrower than `minimumBins` is widened and the next one narrowed by as much; the last band gets the Nyquist
    /// bin and gives back any excess. DeepFilterNet3 (48 kHz, 960, 32 bands, at least 2): thirteen bands of 2 bins,
    /// then 5, 5, 7, 7, 8, 10, 12, 13, 15, 18, 20, 24, 28, 31, 37, 42, 50, 56, 67.
    public static func erbWidths(sampleRate: Int, fftSize: Int, bandCount: Int, minimumBins: Int) -> [Int] {
        func hertzToERB(_ hertz: Float) -> Float { 9.265 * log1p(hertz / (24.7 * 9.265)) }
        func erbToHertz(_ erb: Float) -> Float { 24.7 * 9.265 * (exp(erb / 9.265) - 1) }
        let binWidth = Float(sampleRate) / Float(fftSize)
        let low = hertzToERB(0)
        let high = hertzToERB(Float(sampleRate / 2))
        let step = (high - low) / Float(bandCount)
        var widths = [Int](repeating: 0, count: bandCount)
        var previousBin = 0
        var borrowed = 0
        for band in 1...bandCount {
            let hertz = erbToHertz(low + Float(band) * step)
            let edge = Int((hertz / binWidth).rounded(.toNearestOrAwayFromZero))  // Rust's f32::round
            var width = edge - previousBin - borrowed
            if width < minimumBins {
                borrowed = minimumBins - width
                width = minimumBins
            } else {
                borrowed = 0
            }
            widths[band - 1] = width
            previousBin = edge
        }
        widths[bandCount - 1] += 1
        let excess = widths.reduce(0, +) - (fftSize / 2 + 1)
        if excess > 0 { widths[bandCount - 1] -= excess }
        return widths
    }

    /// libDF's Vorbis window, `w[i] = sin(π/2 · sin²(π(i + 0.5)/fftSize))`, i = 0 ..< fftSize, computed in double
    /// precision and rounded to single (lib.rs:126-132). Symmetric about the frame's centre, no zero samples; with a
    /// hop of half the length, `w[i]² + w[i + hop]² = 1` (the Princen–Bradley condition), so analysis by `w` and
    /// synthesis by `w` add back to the input.
    public static func vorbisWindow(fftSize: Int) -> [Float] {
        let half = Double(fftSize / 2)
        return (0..<fftSize).map { i in
            let s = sin(0.5 * Double.pi * (Double(i) + 0.5) / half)
            return Float(sin(0.5 * Double.pi * s * s))
        }
    }

    /// The initial state of the ERB features' mean normalisation in dB, a ramp from −60 (lowest band) to −90
    /// (highest), `MEAN_NORM_INIT` (lib.rs:12, 184-194).
    public static func meanNormalizationStart(bandCount: Int) -> [Float] {
        ramp(from: -60, to: -90, count: bandCount)
    }

    /// The initial state of the complex features' unit normalisation (a magnitude, in the analysis's scaling),
    /// a ramp from 0.001 (bin 0) to 0.0001 (the last DF bin), `UNIT_NORM_INIT` (lib.rs:13, 195-204).
    public static func unitNormalizationStart(binCount: Int) -> [Float] {
        ramp(from: 0.001, to: 0.0001, count: binCount)
    }

    /// `low + i·step`, step = (high − low)/(count − 1), in single precision as lib.rs:184-204.
    private static func ramp(from low: Float, to high: Float, count: Int) -> [Float] {
        guard count > 1 else { return [Float](repeating: low, count: count) }
        let step = (high - low) / Float(count - 1)
        return (0..<count).map { low + Float($0) * step }
    }
}
