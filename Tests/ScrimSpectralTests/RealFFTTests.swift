import CFFTW
import Foundation
import ScrimCore
import Testing
@testable import ScrimSpectral

@Suite struct RealFFTTests {
    /// Unit roundoff of Float (2⁻²⁴).
    static let unitRoundoff = Double(Float.ulpOfOne) / 2

    /// Per-bin error bound for a float FFT. Each output bin is formed through log₂N butterfly stages, each
    /// adding a relative rounding of at most a few u to partial sums bounded by ‖x‖₂ (Cauchy–Schwarz on the
    /// DFT row), so |X̂[k] − X[k]| ≲ c·u·log₂N·‖x‖₂ (Higham, "Accuracy and Stability of Numerical Algorithms",
    /// 2nd ed., §24.1). c = 4 leaves headroom over the c ≈ 0.6 measured here (N = 1024): for N = 1024 and
    /// noise in ±1 the bound is 4.4e-5 absolute, 1e-6 relative to the largest bin.
    static func tolerance(fftSize: Int, inputNorm: Double) -> Double {
        4 * unitRoundoff * log2(Double(fftSize)) * inputNorm
    }

    @Test(arguments: [16, 48, 1000, 1024])
    func forwardMatchesNaiveDFT(fftSize: Int) throws {
        let fft = try RealFFT(fftSize: fftSize)
        let x = Signals.noise(frameCount: fftSize, seed: UInt64(fftSize))
        for i in 0..<fftSize { fft.input[i] = x[i] }
        fft.forward()
        let reference = naiveDFT(x)
        let norm = x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let tolerance = Self.tolerance(fftSize: fftSize, inputNorm: norm)
        var worst = 0.0
        for k in 0..<fft.binCount {
            worst = max(worst, abs(Double(fft.real[k]) - reference.real[k]),
                        abs(Double(fft.imag[k]) - reference.imag[k]))
        }
        #expect(fft.binCount == fftSize / 2 + 1)
        #expect(worst <= tolerance, "worst bin error \(worst), tolerance \(tolerance)")
        // The input of a forward transform is preserved.
        #expect(Array(fft.input) == x)
    }

    @Test(arguments: [16, 48, 1024, 4096])
    func inverseOfForwardIsFFTSizeTimesInput(fftSize: Int) throws {
        let fft = try RealFFT(fftSize: fftSize)
        let x = Signals.noise(frameCount: fftSize, seed: 7 + UInt64(fftSize))
        for i in 0..<fftSize { fft.input[i] = x[i] }
        fft.forward()
        fft.inverse()
        let norm = x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        // Two transforms, each within the per-bin bound above; the inverse sums N bins of error (√N in rms,
        // Parseval) and the 1/N scale maps it back: per sample ≲ 2·bound/√N.
        let tolerance = 2 * Self.tolerance(fftSize: fftSize, inputNorm: norm) / Double(fftSize).squareRoot()
        var worst = 0.0
        for i in 0..<fftSize { worst = max(worst, abs(Double(fft.output[i]) / Double(fftSize) - Double(x[i]))) }
        #expect(worst <= tolerance, "worst sample error \(worst), tolerance \(tolerance)")
    }

    @Test func packingOfDCBinCentredCosineAndNyquist() throws {
        let n = 256
        let fft = try RealFFT(fftSize: n)
        let bin = 10
        for i in 0..<n {
            fft.input[i] = 0.25 + 0.5 * Float(cos(2 * Double.pi * Double(bin * i % n) / Double(n)))
                + (i % 2 == 0 ? 0.125 : -0.125)
        }
        fft.forward()
        // Unnormalised: DC = N·mean, a cosine of amplitude A at bin k gives A·N/2 in real[k], Nyquist = N·a.
        // Each is a sum of N terms of magnitude ≤ 1, so its float error is ≤ N·u·log₂N ≈ 1e-3 here; 1e-3 is used.
        #expect(abs(fft.real[0] - 0.25 * Float(n)) < 1e-3)
        #expect(abs(fft.real[bin] - 0.5 * Float(n) / 2) < 1e-3)
        #expect(abs(fft.real[n / 2] - 0.125 * Float(n)) < 1e-3)
        #expect(abs(fft.imag[bin]) < 1e-3)
        #expect(fft.imag[0] == 0 && fft.imag[n / 2] == 0)
        for k in 1..<(n / 2) where k != bin {
            #expect(abs(fft.real[k]) < 1e-3 && abs(fft.imag[k]) < 1e-3, "bin \(k)")
        }
    }

    @Test func pointerVariantsEqualOwnedBuffers() throws {
        let n = 512
        let fft = try RealFFT(fftSize: n)
        let other = try RealFFT(fftSize: n)  // its buffers stand in for caller-owned aligned memory
        let x = Signals.noise(frameCount: n, seed: 3)
        for i in 0..<n {
            fft.input[i] = x[i]
            other.input[i] = x[i]
        }
        fft.forward()
        let input = try #require(other.input.baseAddress)
        let real = try #require(other.real.baseAddress)
        let imag = try #require(other.imag.baseAddress)
        let output = try #require(other.output.baseAddress)
        #expect(RealFFT.isAligned(input) && RealFFT.isAligned(real))
        #expect(!RealFFT.isAligned(input + 1))
        let scratchOwner = try RealFFT(fftSize: 2 * n)  // its input holds at least scratchCount floats
        let scratch = try #require(scratchOwner.input.baseAddress)
        #expect(scratchOwner.input.count >= fft.scratchCount && RealFFT.isAligned(scratch))
        fft.forward(input, real: real, imag: imag, scratch: scratch)
        #expect(Array(other.real) == Array(fft.real))
        #expect(Array(other.imag) == Array(fft.imag))
        fft.inverse()
        fft.inverse(real: real, imag: imag, output: output, scratch: scratch)
        #expect(Array(other.output) == Array(fft.output))
        // The inverse leaves its spectrum as it was.
        #expect(Array(other.real) == Array(fft.real))
    }

    @Test(arguments: [0, 8, 14, 15, 17, 1023, 65538, 131072])
    func unsupportedSizesThrow(fftSize: Int) {
        #expect(throws: ScrimError.self) { try RealFFT(fftSize: fftSize) }
    }

    @Test(arguments: [16, 65536])
    func sizeLimitsAreAccepted(fftSize: Int) throws {
        let fft = try RealFFT(fftSize: fftSize)
        #expect(fft.binCount == fftSize / 2 + 1)
    }

    @Test func measureRigorPlansAndMatchesEstimate() throws {
        let n = 256
        let estimate = try RealFFT(fftSize: n, rigor: .estimate)
        let measure = try RealFFT(fftSize: n, rigor: .measure)
        let x = Signals.noise(frameCount: n, seed: 11)
        for i in 0..<n {
            estimate.input[i] = x[i]
            measure.input[i] = x[i]
        }
        estimate.forward()
        measure.forward()
        // Different plans may round differently; both lie within the bound of the naive-DFT test.
        let norm = x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let tolerance = 2 * Self.tolerance(fftSize: n, inputNorm: norm)
        for k in 0..<estimate.binCount {
            #expect(abs(Double(estimate.real[k] - measure.real[k])) <= tolerance)
        }
    }

    /// Planning from many tasks at once must be serialised by the planner lock: without it FFTW's planner
    /// corrupts its global tables. Each task plans, transforms a constant and checks the DC bin.
    @Test func concurrentPlanningIsSafe() async throws {
        let sizes = [16, 64, 256, 480, 1024, 2048, 4096, 96]
        let failures = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var failures = 0
                    for round in 0..<25 {
                        let n = sizes[(task + round) % sizes.count]
                        guard let fft = try? RealFFT(fftSize: n) else { failures += 1; continue }
                        fft.input.update(repeating: 1)
                        fft.forward()
                        if fft.real[0] != Float(n) || fft.real[1] != 0 { failures += 1 }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }

    /// The twiddles, half of them mirrored from the first quarter, equal cos(2πk/N) and −sin(2πk/N) rounded to
    /// Float at every k = 0…N/2 for every power of two; at other even sizes within one unit in the last place
    /// (14510 has one such value).
    @Test(arguments: [16, 18, 32, 64, 128, 256, 512, 1000, 1024, 2048, 4096, 8192, 14510, 16384, 32768, 65536])
    func twiddlesEqualTheDirectEvaluation(fftSize: Int) throws {
        let fft = try RealFFT(fftSize: fftSize)
        let powerOfTwo = fftSize & (fftSize - 1) == 0
        var differing = 0, furthest: UInt32 = 0
        for k in 0...(fftSize / 2) {
            let angle = 2 * Double.pi * Double(k) / Double(fftSize)
            for (mine, direct) in [(fft.twiddleReal[k], Float(cos(angle))), (fft.twiddleImag[k], Float(-sin(angle)))]
            where mine.bitPattern != direct.bitPattern {
                differing += 1
                let gap = mine.bitPattern > direct.bitPattern ? mine.bitPattern - direct.bitPattern
                    : direct.bitPattern - mine.bitPattern
                furthest = max(furthest, gap)
            }
        }
        if powerOfTwo {
            #expect(differing == 0, "\(fftSize): \(differing) twiddles differ")
        } else {
            #expect(furthest <= 1, "\(fftSize): twiddles \(furthest) ulp apart")
        }
    }
}

/// The embedded FFTW wisdom (``FFTPlanning/wisdom``): accepted exactly when its header matches this FFTW's, and
/// then it, not `FFTW_ESTIMATE`'s heuristics, plans RealFFT's big transforms (a wisdom-only plan exists for each of
/// its sizes on RealFFT's buffer layout: out of place, 64-byte-aligned). Where it does not match, FFTW refuses it
/// and nothing else changes. A 16384-point round trip (its half-size plans from the wisdom where accepted) stays
/// exact to float rounding.
@Suite struct FFTWisdomTests {
    @Test func wisdomIsUsedWhereItMatchesAndItsPlansAreExact() throws {
        let matches = FFTPlanning.wisdomMatchesThisFFTW
        #expect(FFTPlanning.wisdomAccepted == matches, "FFTW \(String(cString: fftwf_version_pointer()))")
        if matches {
            for half in [8192, 16384, 32768] {
                let a = try FFTWMemory.allocateFloats(2 * half), b = try FFTWMemory.allocateFloats(2 * half)
                defer { FFTWMemory.free(a); FFTWMemory.free(b) }
                let flags = FFTW_ESTIMATE | FFTW_WISDOM_ONLY
                let forward = FFTPlanning.withPlannerLock {
                    fftwf_plan_dft_1d(Int32(half), RealFFT.complex(a), RealFFT.complex(b), FFTW_FORWARD, flags)
                }
                let backward = FFTPlanning.withPlannerLock {
                    fftwf_plan_dft_1d(Int32(half), RealFFT.complex(b), RealFFT.complex(a), FFTW_BACKWARD, flags)
                }
                #expect(forward != nil && backward != nil, "no wisdom for \(half) complex points")
                FFTPlanning.withPlannerLock {
                    if let forward { fftwf_destroy_plan(forward) }
                    if let backward { fftwf_destroy_plan(backward) }
                }
            }
        }
        let n = 16384
        let fft = try RealFFT(fftSize: n)
        let signal = (0..<n).map { Float(sin(0.37 * Double($0)) + 0.25 * cos(0.011 * Double($0 * $0 % 977))) }
        signal.withUnsafeBufferPointer { fft.input.update(fromContentsOf: $0) }
        fft.forward()
        fft.inverse()
        // Forward then inverse scale by N; a float FFT pair of 16384 points keeps ≈ u·log₂N·few relative error
        // (u = 6e-8, see the bound above): 1e-5 of the signal's peak (1.25) is a wide margin.
        let worst = (0..<n).map { abs(signal[$0] - fft.output[$0] / Float(n)) }.max() ?? 0
        #expect(worst < 1.25e-5, "round-trip error \(worst)")
    }
}
