import Foundation
import ScrimCore

/// A learned noise spectrum: the mean power of each STFT bin over a stretch of noise (room tone), per channel.
///
/// Powers are *window-normalised*: `noisePower[c][k] = E|Y_k|² / Σₙ w[n]²`, where Y is the unnormalised FFT of a
/// frame windowed by w. With that scaling white noise of variance s² has `noisePower = s²` in every bin,
/// whatever the FFT size or window, and the time-domain noise power is the mean over the full spectrum
/// (``levelDecibelsFS``). A profile is made by ``NoiseProfiler``, saved as JSON (`scrim profile`), and used by
/// ``NoiseReducer`` in ``NoiseReducerSettings/Mode/learned(_:)`` mode, which resamples it to its own FFT size
/// and sample rate if they differ (``resampled(fftSize:sampleRate:)``).
public struct NoiseProfile: Codable, Sendable, Hashable {
    /// Version of the JSON layout (1).
    public var formatVersion: Int
    /// Sample rate of the audio the profile was measured on, in hertz.
    public var sampleRate: Double
    /// FFT size of the measurement (bins: fftSize/2 + 1).
    public var fftSize: Int
    /// Hop of the measurement in frames.
    public var hopSize: Int
    /// Number of STFT frames averaged (per channel).
    public var frameCount: Int
    /// Window-normalised mean bin power, `[channel][bin]`, bin k at k·sampleRate/fftSize Hz (see the type).
    public var noisePower: [[Float]]

    /// Creates a profile.
    /// - Parameters:
    ///   - sampleRate: hertz, > 0.
    ///   - fftSize: even FFT size; every channel of `noisePower` has fftSize/2 + 1 values.
    ///   - hopSize: frames between measured STFT frames.
    ///   - frameCount: STFT frames averaged.
    ///   - noisePower: window-normalised bin powers per channel (≥ 0, finite), at least one channel.
    public init(sampleRate: Double, fftSize: Int, hopSize: Int, frameCount: Int, noisePower: [[Float]]) {
        self.formatVersion = 1
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.frameCount = frameCount
        self.noisePower = noisePower
    }

    /// Bins per channel, fftSize/2 + 1.
    public var binCount: Int { fftSize / 2 + 1 }

    /// Number of channels measured.
    public var channelCount: Int { noisePower.count }

    /// Throws ``ScrimError`` `.invalidDocument` unless the profile is self-consistent (sizes, finite
    /// non-negative powers), e.g. after decoding a file someone edited.
    public func validate() throws(ScrimError) {
        guard formatVersion == 1 else {
            throw ScrimError(.invalidDocument, "noise profile format version \(formatVersion) is not supported (1)")
        }
        guard sampleRate.isFinite, sampleRate >= 1, sampleRate <= 768_000 else {
            throw ScrimError(.invalidDocument, "noise profile sample rate \(sampleRate) Hz is out of range")
        }
        guard fftSize >= 16, fftSize <= 65536, fftSize % 2 == 0, hopSize >= 1, hopSize <= fftSize else {
            throw ScrimError(.invalidDocument, "noise profile FFT size \(fftSize) / hop \(hopSize) is not usable")
        }
        guard !noisePower.isEmpty, noisePower.count <= 1024 else {
            throw ScrimError(.invalidDocument, "noise profile has \(noisePower.count) channels (1 to 1024)")
        }
        for (channel, powers) in noisePower.enumerated() {
            guard powers.count == binCount else {
                throw ScrimError(.invalidDocument, "noise profile channel \(channel) has \(powers.count) bins, "
                    + "expected \(binCount) for FFT size \(fftSize)")
            }
            guard powers.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw ScrimError(.invalidDocument,
                                 "noise profile channel \(channel) has a negative or non-finite power")
            }
        }
    }

    /// The estimated noise level as an RMS in dBFS (1.0 = 0 dBFS; a full-scale sine is −3.01 dBFS on this
    /// scale), from the power mean over channels and the full two-sided spectrum. −∞ for an all-zero profile.
    public var levelDecibelsFS: DecibelsFullScale {
        let mean = channelMeanPower()
        return decibels(fromPower: Self.timeDomainPower(mean, fftSize: fftSize))
    }

    /// Time-domain power of a window-normalised one-sided spectrum (Parseval over the full FFT: DC and Nyquist
    /// once, the other bins twice, divided by fftSize).
    static func timeDomainPower(_ power: [Float], fftSize: Int) -> Double {
        guard let first = power.first, let last = power.last, power.count >= 2 else { return 0 }
        var sum = Double(first) + Double(last)
        for k in 1..<(power.count - 1) { sum += 2 * Double(power[k]) }
        return sum / Double(fftSize)
    }

    /// The bin powers averaged over channels (allocates).
    public func channelMeanPower() -> [Float] {
        var mean = [Float](repeating: 0, count: binCount)
        for powers in noisePower {
            for k in 0..<min(binCount, powers.count) { mean[k] += powers[k] / Float(noisePower.count) }
        }
        return mean
    }

    /// The same noise described for another FFT size and sample rate (allocates).
    ///
    /// Window-normalised powers of a stationary noise do not depend on the FFT size, so each new bin takes the
    /// measured power at its frequency: the mean of the measured bins whose centres fall within its width when
    /// the new bins are wider, linear interpolation between the two nearest measured bins when they are
    /// narrower. For another sample rate the power density per hertz is kept: powers scale by
    /// `newRate / sampleRate`, and bins above the measured Nyquist frequency repeat the last measured value.
    /// - Parameters:
    ///   - fftSize: the new even FFT size.
    ///   - sampleRate: the new sample rate in hertz.
    /// - Returns: a profile with `fftSize/2 + 1` bins per channel and the given geometry (hop: fftSize/4).
    public func resampled(fftSize newFFTSize: Int, sampleRate newRate: Double) -> NoiseProfile {
        precondition(newFFTSize >= 2 && newFFTSize % 2 == 0 && newRate > 0,
                     "resampled(fftSize: \(newFFTSize), sampleRate: \(newRate))")
        if newFFTSize == fftSize && newRate == sampleRate { return self }
        let newBinCount = newFFTSize / 2 + 1
        let oldSpacing = sampleRate / Double(fftSize)
        let newSpacing = newRate / Double(newFFTSize)
        let step = newSpacing / oldSpacing  // new bin width in measured bins
        let scale = Float(newRate / sampleRate)
        let channels = noisePower.map { powers -> [Float] in
            let last = powers.count - 1
            return (0..<newBinCount).map { k in
                let position = Double(k) * step
                if step > 1 {
                    let low = max(0, Int((position - step / 2).rounded(.up)))
                    let high = min(last, Int((position + step / 2).rounded(.down)))
                    if low <= high {
                        var sum: Float = 0
                        for i in low...high { sum += powers[i] }
                        return sum / Float(high - low + 1) * scale
                    }
                }
                let lower = min(Int(position), last)
                let upper = min(lower + 1, last)
                let weight = Float(min(max(position - Double(lower), 0), 1))
                return (powers[lower] + (powers[upper] - powers[lower]) * weight) * scale
            }
        }
        return NoiseProfile(sampleRate: newRate, fftSize: newFFTSize, hopSize: max(1, newFFTSize / 4),
                            frameCount: frameCount, noisePower: channels)
    }

    /// The profile as JSON (sorted keys, camelCase), for `scrim profile -o`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    /// Decodes and validates a profile written by ``jsonData()``.
    /// - Throws: ``ScrimError`` `.invalidDocument` with the decoder's message when the data is not a usable
    ///   profile.
    public static func decode(jsonData data: Data) throws(ScrimError) -> NoiseProfile {
        let profile: NoiseProfile
        do {
            profile = try JSONDecoder().decode(NoiseProfile.self, from: data)
        } catch {
            throw ScrimError(.invalidDocument, "not a Scrim noise profile", underlying: "\(error)")
        }
        try profile.validate()
        return profile
    }
}
