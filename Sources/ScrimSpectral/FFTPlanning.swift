import CFFTW
import ScrimCore
import Synchronization

/// FFT planning policy and the process-wide lock around FFTW's planner.
///
/// FFTW's planner (`fftwf_plan_*`, `fftwf_destroy_plan`) shares global state and is not thread-safe;
/// executing a finished plan on distinct buffers is (FFTW 3.3 manual, §5.4 "Thread safety"). Scrim
/// therefore serialises plan creation and destruction behind one lock for the whole process, and never
/// locks when executing. Only ScrimSpectral talks to FFTW, so this lock covers every plan Scrim makes.
public enum FFTPlanning {
    /// How hard FFTW searches for a fast plan.
    public enum Rigor: Sendable, Hashable, CaseIterable {
        /// `FFTW_ESTIMATE`: picks a plan by heuristics in microseconds, deterministically, without
        /// touching the buffers. The default everywhere in Scrim.
        case estimate
        /// `FFTW_MEASURE`: times candidate plans (tens of milliseconds to seconds per size) and may pick
        /// a different plan from run to run; results can differ in the last bits between plans.
        case measure

        var flags: UInt32 {
            switch self {
            case .estimate: FFTW_ESTIMATE
            case .measure: FFTW_MEASURE
            }
        }
    }

    /// The one lock serialising FFTW's planner in this process.
    private static let plannerLock = Mutex<Void>(())

    /// Runs `body` while holding the planner lock. Use for every `fftwf_plan_*` and `fftwf_destroy_plan`
    /// call, and for nothing else (execution must not lock).
    static func withPlannerLock<R>(_ body: () -> R) -> R {
        plannerLock.withLock { _ in
            body()
        }
    }
}

/// Aligned float storage from FFTW's allocator (`fftwf_alloc_real`), which aligns for FFTW's SIMD code.
enum FFTWMemory {
    /// Floats per aligned stride unit: strides are rounded up to 16 floats (64 bytes) so every sub-buffer
    /// carved out of one allocation keeps the allocation's alignment.
    static let strideUnit = 16

    /// `count` rounded up to a multiple of ``strideUnit``.
    static func alignedStride(_ count: Int) -> Int {
        max(strideUnit, (count + strideUnit - 1) / strideUnit * strideUnit)
    }

    /// Allocates `count` zero-filled floats. Throws when the allocator fails.
    static func allocateFloats(_ count: Int) throws(ScrimError) -> UnsafeMutablePointer<Float> {
        guard count > 0, let pointer = fftwf_alloc_real(count) else {
            throw ScrimError(.configuration, "could not allocate \(count) aligned floats for FFT buffers")
        }
        pointer.initialize(repeating: 0, count: count)
        return pointer
    }

    /// Frees storage from ``allocateFloats(_:)``.
    static func free(_ pointer: UnsafeMutablePointer<Float>) {
        fftwf_free(pointer)
    }

    /// Whether `pointer` has the alignment FFTW's plans made on ``allocateFloats(_:)`` storage expect.
    static func isAligned(_ pointer: UnsafePointer<Float>) -> Bool {
        fftwf_alignment_of(UnsafeMutablePointer(mutating: pointer)) == 0
    }
}
