import Foundation

/// Level units. Scrim keeps levels as `Double` and names the unit in the API (`reductionDecibels`,
/// `targetLoudness: LUFS`); these aliases document which scale a value is on.
///
/// - `Decibels`: a ratio in dB (20·log10 of an amplitude ratio).
/// - `DecibelsFullScale` (dBFS): a sample level relative to full scale (1.0 = 0 dBFS).
/// - `DecibelsTruePeak` (dBTP): an inter-sample peak level (ITU-R BS.1770-4 Annex 2).
/// - `LUFS`: loudness relative to full scale (ITU-R BS.1770-4 / EBU R128); LKFS is the same scale.
/// - `LoudnessUnits` (LU): a loudness difference.
public typealias Decibels = Double
public typealias DecibelsFullScale = Double
public typealias DecibelsTruePeak = Double
public typealias LUFS = Double
public typealias LoudnessUnits = Double

/// Converts an amplitude ratio to decibels: 20·log10(ratio). Zero gives −∞.
@inlinable
public func decibels(fromAmplitude ratio: Double) -> Decibels {
    20 * log10(ratio)
}

/// Converts a power ratio to decibels: 10·log10(ratio). Zero gives −∞.
@inlinable
public func decibels(fromPower ratio: Double) -> Decibels {
    10 * log10(ratio)
}

/// Converts decibels to an amplitude ratio: 10^(dB/20).
@inlinable
public func amplitude(fromDecibels value: Decibels) -> Double {
    pow(10, value / 20)
}

/// Converts decibels to a power ratio: 10^(dB/10).
@inlinable
public func power(fromDecibels value: Decibels) -> Double {
    pow(10, value / 10)
}
