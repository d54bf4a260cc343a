import CFFTW
import CScrimVector
import Foundation
import ScrimCore

/// A forward and inverse real FFT of one size, planned once, on FFTW (single precision).
///
/// - Packing: split format, no interleaving. A real signal of `fftSize` samples maps to `binCount =
///   fftSize / 2 + 1` complex bins in two arrays, `real[k]` and `imag[k]`, k = 0 (DC) … fftSize/2 (Nyquist);
///   `imag[0]` and `imag[fftSize/2]` are 0 for real input and ignored by the inverse.
/// - Scaling: unnormalised both ways, as FFTW: forward X[k] = Σₙ x[n]·e^(−2πikn/N); inverse
///   y[n] = Σₖ X[k]·e^(+2πikn/N) over the full Hermitian spectrum, so inverse(forward(x)) = fftSize·x.
/// - Threading: plans are made and destroyed under ``FFTPlanning``'s process-wide lock (in `init` and
///   `deinit`); ``forward()``/``inverse()`` use this object's own buffers, so one task at a time. The
///   pointer variants may run concurrently from several tasks on distinct buffers; they never lock.
/// - Inside: one complex FFT of fftSize/2 points (FFTW), on the even samples as real parts and the odd ones as
///   imaginary parts, and a twiddle pass that separates the two halves' transforms and combines them into the
///   real signal's bins, writing the split arrays directly (`scrim_vector_real_forward_finish` in
///   CScrimVector; the inverse runs the same steps backwards). FFTW's own real plans do this too, but the ones
///   `FFTW_ESTIMATE` picks were much slower here: 7.1 µs for a 2048-point forward and inverse pair, against
///   2.2 µs for the 1024-point complex pair and about 0.6 µs more for the two twiddle passes (Intel Xeon,
///   AVX-512, one core; an earlier session had measured the same real plans at 3.5 + 3.3 µs on a quieter
///   machine); `FFTW_MEASURE` finds real plans of 4.9 µs but takes 0.4 s to plan.
///
/// All buffers are allocated in `init` with FFTW's aligned allocator; `forward` and `inverse` do not
/// allocate, lock or throw. Buffer views are valid while this object is alive.
public final class RealFFT {
    /// Transform length in samples (even, 16…65536).
    public let fftSize: Int
    /// Number of complex bins, `fftSize / 2 + 1`.
    public let binCount: Int

    /// The time-domain input of ``forward()`` (`fftSize` samples). Not modified by `forward`.
    public let input: UnsafeMutableBufferPointer<Float>
    /// Real parts of the spectrum (`binCount` values): the output of ``forward()``, the input of ``inverse()``.
    public let real: UnsafeMutableBufferPointer<Float>
    /// Imaginary parts of the spectrum (`binCount` values).
    public let imag: UnsafeMutableBufferPointer<Float>
    /// The time-domain output of ``inverse()`` (`fftSize` samples, scaled by `fftSize`).
    public let output: UnsafeMutableBufferPointer<Float>

    /// Floats in the interleaved spectrum scratch the pointer variants need: `2·binCount`.
    public var scratchCount: Int { 2 * binCount }

    /// Half the transform length: the size of the complex FFT inside.
    private let halfSize: Int
    /// cos(2πk/N) and −sin(2πk/N), k = 0…N/2, for the twiddle passes.
    let twiddleReal: UnsafeMutablePointer<Float>
    let twiddleImag: UnsafeMutablePointer<Float>

    private let storage: UnsafeMutablePointer<Float>
    /// Base addresses of ``input`` and ``output``, for the engine's hot loops.
    let inputPointer: UnsafeMutablePointer<Float>
    let outputPointer: UnsafeMutablePointer<Float>
    /// This object's own interleaved spectrum (``scratchCount`` floats), for ``forward()`` and ``inverse()``.
    private let packed: UnsafeMutablePointer<Float>
    private let forwardPlan: OpaquePointer?
    private let inversePlan: OpaquePointer?

    /// Smallest and largest supported transform lengths.
    public static let supportedSizes = 16...65536

    /// Which transforms a ``RealFFT`` plans. Planning a direction that is never used costs time at start-up
    /// (FFTW_ESTIMATE planning of a 32768-point transform is a few milliseconds, about as long as 30 of the
    /// transforms themselves).
    public struct Directions: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The forward (real to complex) transform.
        public static let forward = Directions(rawValue: 1)
        /// The inverse (complex to real) transform.
        public static let inverse = Directions(rawValue: 2)
        /// Both.
        public static let both: Directions = [.forward, .inverse]
    }

    /// The transforms planned; calling the other one is a programming error.
    public let directions: Directions

    /// Plans both transforms for `fftSize` and allocates the buffers.
    /// - Parameters:
    ///   - fftSize: transform length in samples; even, within ``supportedSizes``. Any even length works;
    ///     products of small primes (2, 3, 5, 7) are fastest.
    ///   - rigor: planner effort; ``FFTPlanning/Rigor/estimate`` (default) plans quickly and deterministically.
    ///   - directions: the transforms to plan (default both).
    /// - Throws: ``ScrimError`` `.configuration` when `fftSize` is odd or out of range, or when FFTW cannot
    ///   allocate or plan.
    public init(fftSize: Int, rigor: FFTPlanning.Rigor = .estimate,
                directions: Directions = .both) throws(ScrimError) {
        guard Self.supportedSizes.contains(fftSize), fftSize % 2 == 0 else {
            throw ScrimError(.configuration,
                             "FFT size \(fftSize) is not supported: use an even size from 16 to 65536, e.g. 2048")
        }
        self.fftSize = fftSize
        binCount = fftSize / 2 + 1
        // One allocation, carved at 64-byte-aligned strides so every part keeps FFTW's alignment.
        let timeStride = FFTWMemory.alignedStride(fftSize)
        let binStride = FFTWMemory.alignedStride(binCount)
        let packedStride = FFTWMemory.alignedStride(2 * binCount)
        let storage = try FFTWMemory.allocateFloats(2 * timeStride + 4 * binStride + packedStride)
        let inputStorage = storage
        let realStorage = storage + timeStride
        let imagStorage = realStorage + binStride
        let outputStorage = imagStorage + binStride
        let packedStorage = outputStorage + timeStride
        let twiddleRealStorage = packedStorage + packedStride
        let twiddleImagStorage = twiddleRealStorage + binStride
        let half = fftSize / 2
        let (forward, inverse) = FFTPlanning.withPlannerLock { () -> (OpaquePointer?, OpaquePointer?) in
            let flags = rigor.flags
            let packed = Self.complex(packedStorage)
            let forward = directions.contains(.forward)
                ? fftwf_plan_dft_1d(Int32(half), Self.complex(inputStorage), packed, FFTW_FORWARD, flags) : nil
            let inverse = directions.contains(.inverse)
                ? fftwf_plan_dft_1d(Int32(half), packed, Self.complex(outputStorage), FFTW_BACKWARD, flags) : nil
            return (forward, inverse)
        }
        guard forward != nil || !directions.contains(.forward),
              inverse != nil || !directions.contains(.inverse) else {
            FFTPlanning.withPlannerLock {
                if let forward { fftwf_destroy_plan(forward) }
                if let inverse { fftwf_destroy_plan(inverse) }
            }
            FFTWMemory.free(storage)
            throw ScrimError(.configuration, "FFTW could not plan a real FFT of size \(fftSize)")
        }
        self.storage = storage
        halfSize = half
        twiddleReal = twiddleRealStorage
        twiddleImag = twiddleImagStorage
        // The second quarter mirrors the first (cos(π − x) = −cos x, sin(π − x) = sin x): half the libm calls, the
        // same Floats at every power of two (tested; a few values at some other sizes, e.g. 14510, differ by one
        // unit in the last place); k = N/2 itself is computed (−sin π is −1.2e−16 in Double, not the mirror's −0).
        let quarter = half / 2
        for k in 0...half where k <= quarter || k == half {
            let angle = 2 * Double.pi * Double(k) / Double(fftSize)
            twiddleRealStorage[k] = Float(cos(angle))
            twiddleImagStorage[k] = Float(-sin(angle))
        }
        if quarter + 1 < half {
            for k in (quarter + 1)..<half {
                twiddleRealStorage[k] = -twiddleRealStorage[half - k]
                twiddleImagStorage[k] = twiddleImagStorage[half - k]
            }
        }
        inputPointer = inputStorage
        outputPointer = outputStorage
        packed = packedStorage
        forwardPlan = forward
        inversePlan = inverse
        self.directions = directions
        // Measuring planners scribble on the buffers; start from zeros either way.
        inputStorage.update(repeating: 0, count: fftSize)
        realStorage.update(repeating: 0, count: binCount)
        imagStorage.update(repeating: 0, count: binCount)
        outputStorage.update(repeating: 0, count: fftSize)
        packedStorage.update(repeating: 0, count: 2 * binCount)
        input = UnsafeMutableBufferPointer(start: inputStorage, count: fftSize)
        real = UnsafeMutableBufferPointer(start: realStorage, count: binCount)
        imag = UnsafeMutableBufferPointer(start: imagStorage, count: binCount)
        output = UnsafeMutableBufferPointer(start: outputStorage, count: fftSize)
    }

    deinit {
        FFTPlanning.withPlannerLock {
            if let forwardPlan { fftwf_destroy_plan(forwardPlan) }
            if let inversePlan { fftwf_destroy_plan(inversePlan) }
        }
        FFTWMemory.free(storage)
    }

    /// Forward transform of ``input`` into ``real`` / ``imag``. Does not allocate, lock or throw.
    @inline(__always)
    public func forward() {
        forward(inputPointer, real: realPointer, imag: imagPointer, scratch: packed)
    }

    /// Inverse transform of ``real`` / ``imag`` into ``output`` (scaled by `fftSize`). ``real`` and ``imag``
    /// are left as they were. Does not allocate, lock or throw.
    @inline(__always)
    public func inverse() {
        inverse(real: realPointer, imag: imagPointer, output: outputPointer, scratch: packed)
    }

    private var realPointer: UnsafeMutablePointer<Float> { real.baseAddress.unsafelyUnwrapped }
    private var imagPointer: UnsafeMutablePointer<Float> { imag.baseAddress.unsafelyUnwrapped }

    /// Whether `pointer` is aligned as the pointer variants of ``forward(_:real:imag:)`` and
    /// ``inverse(real:imag:output:)`` require (the alignment of FFTW's allocator, 16 bytes or more).
    public static func isAligned(_ pointer: UnsafePointer<Float>) -> Bool {
        FFTWMemory.isAligned(pointer)
    }

    /// Forward transform of `fftSize` samples at `input` into `binCount` bins at `real` / `imag`.
    ///
    /// Thread-safe on distinct buffers (uses FFTW's new-array execute). `scratch` holds ``scratchCount`` floats
    /// (the interleaved spectrum on its way to `real` / `imag`; its contents are garbage afterwards). `input`
    /// and `scratch` must satisfy ``isAligned(_:)``; no two buffers may overlap. `input` is not modified.
    /// Does not allocate, lock or throw.
    @inline(__always)
    public func forward(_ input: UnsafePointer<Float>, real: UnsafeMutablePointer<Float>,
                        imag: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        precondition(FFTWMemory.isAligned(input) && FFTWMemory.isAligned(scratch),
                     "RealFFT.forward needs FFTW-aligned buffers, got \(input), \(scratch)")
        guard let forwardPlan else {
            preconditionFailure("RealFFT.forward: this RealFFT planned no forward transform")
        }
        fftwf_execute_dft(forwardPlan, Self.complex(UnsafeMutablePointer(mutating: input)), Self.complex(scratch))
        scrim_vector_real_forward_finish(scratch, twiddleReal, twiddleImag, real, imag, Int64(halfSize))
    }

    /// Inverse transform of `binCount` bins at `real` / `imag` into `fftSize` samples at `output`, scaled by
    /// `fftSize`.
    ///
    /// Thread-safe on distinct buffers. `scratch` holds ``scratchCount`` floats (garbage afterwards); `output`
    /// and `scratch` must satisfy ``isAligned(_:)``; no two buffers may overlap. `real` and `imag` are not
    /// modified. Does not allocate, lock or throw.
    @inline(__always)
    public func inverse(real: UnsafePointer<Float>, imag: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        precondition(FFTWMemory.isAligned(output) && FFTWMemory.isAligned(scratch),
                     "RealFFT.inverse needs FFTW-aligned buffers, got \(output), \(scratch)")
        guard let inversePlan else {
            preconditionFailure("RealFFT.inverse: this RealFFT planned no inverse transform")
        }
        scrim_vector_real_inverse_start(real, imag, twiddleReal, twiddleImag, scratch, Int64(halfSize))
        fftwf_execute_dft(inversePlan, Self.complex(scratch), Self.complex(output))
    }

    /// `floats` viewed as interleaved (re, im) pairs, as FFTW's complex transforms take them.
    @inline(__always)
    static func complex(_ floats: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<fftwf_complex> {
        UnsafeMutableRawPointer(floats).assumingMemoryBound(to: fftwf_complex.self)
    }
}
