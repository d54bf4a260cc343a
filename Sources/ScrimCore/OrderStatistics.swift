/// Order statistics in place, for the analyzers' and processors' small scratch buffers, the hum tracker's weight
/// floors and the pictures' colour scale (no allocation).
public enum OrderStatistics {
    /// The element of rank `rank` (0-based, ascending) among the first `count` of `values`, which it reorders
    /// so that no greater value stands before `values[rank]` and no smaller one after it (Hoare's quickselect,
    /// "Algorithm 65: Find", CACM 4(7), 1961; the same value a full sort would put there). Requires
    /// 0 ≤ rank < count and no NaN.
    @inlinable
    public static func select<T: Comparable>(_ values: UnsafeMutableBufferPointer<T>, count: Int, rank: Int) -> T {
        var low = 0, high = count - 1
        while low < high {
            let pivot = values[(low + high) / 2]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if rank <= j {
                high = j
            } else if rank >= i {
                low = i
            } else {
                break
            }
        }
        return values[rank]
    }

    /// The median of the first `count` (≥ 1) of `values`, which it reorders: the middle element, or for an even
    /// count the mean of the two middle ones.
    @inlinable
    public static func median(_ values: UnsafeMutableBufferPointer<Float>, count: Int) -> Float {
        let upper = select(values, count: count, rank: count / 2)
        guard count % 2 == 0 else { return upper }
        // The lower middle is the largest of the values selection left before the upper one.
        var lower = values[0]
        for i in 1..<(count / 2) { lower = max(lower, values[i]) }
        return 0.5 * (lower + upper)
    }
}
