import Foundation

/// The spectrum of a periodic Hann window of `fftSize` samples around one of its bins, tabulated for fitting
/// and subtracting stationary sinusoids in an STFT frame.
///
/// Referenced to the window centre (sample N/2), the DTFT of the periodic Hann window w[n] = 0.5 − 0.5·cos(2πn/N)
/// is real and even:
///
///     W̃(θ) = 0.5·D(θ) + 0.25·D(θ − 2π/N) + 0.25·D(θ + 2π/N),   D(θ) = sin((N − 1)θ/2) / sin(θ/2),
///
/// (the window is 0.5 + 0.5·cos(2πj/N) for j = −N/2+1 … N/2−1 about its centre, and D is the transform of that
/// symmetric rectangle; Harris 1978, §IV). W̃(0) = N/2 = Σ w. The table holds W̃ at offsets δ = θN/(2π) bins
/// from 0 to ``extentBins`` + 1 in steps of 1/``stepsPerBin`` bin; ``value(atOffset:)`` interpolates linearly.
/// With 512 steps per bin the interpolation error is below 2·10⁻⁶ of the peak (|W̃''| ≤ π²/3·N/2 per bin², and
/// linear interpolation errs by at most h²/8·|W̃''|), far under the −50 dB this module aims for.
///
/// Allocates in `init`; ``value(atOffset:)`` does not allocate. Immutable after `init`, so safe to share.
final class HannLobe: @unchecked Sendable {
    /// Table points per bin.
    static let stepsPerBin = 512
    /// Largest |offset| in bins that ``value(atOffset:)`` accepts.
    let extentBins: Int
    private let table: UnsafeMutableBufferPointer<Float>

    /// Tabulates the lobe of a periodic Hann window of `fftSize` samples out to `extentBins` bins.
    init(fftSize: Int, extentBins: Int) {
        precondition(fftSize >= 16 && extentBins >= 1, "HannLobe fftSize \(fftSize), extentBins \(extentBins)")
        self.extentBins = extentBins
        let count = (extentBins + 2) * Self.stepsPerBin + 1
        table = .allocate(capacity: count)
        let n = Double(fftSize)
        func dirichlet(_ theta: Double) -> Double {
            let s = sin(theta / 2)
            if abs(s) < 1e-12 { return n - 1 }
            return sin((n - 1) * theta / 2) / s
        }
        for i in 0..<count {
            let theta = 2 * Double.pi * (Double(i) / Double(Self.stepsPerBin)) / n
            let value = 0.5 * dirichlet(theta) + 0.25 * dirichlet(theta - 2 * .pi / n)
                + 0.25 * dirichlet(theta + 2 * .pi / n)
            table[i] = Float(value)
        }
    }

    deinit { table.deallocate() }

    /// W̃ at `delta` bins from the lobe centre (|delta| ≤ extentBins), linearly interpolated.
    @inline(__always)
    func value(atOffset delta: Double) -> Float {
        let position = abs(delta) * Double(Self.stepsPerBin)
        let index = min(Int(position), table.count - 2)
        let fraction = Float(position - Double(index))
        let a = table[index], b = table[index + 1]
        return a + (b - a) * fraction
    }
}
