import CPNG
import ScrimCore

/// PNG encoding and decoding of RGB pictures in memory, through libpng's simplified API (`png_image_*`, libpng
/// 1.6), which reports failures in the image structure instead of jumping out with longjmp, so Swift can call it
/// safely; pictures of at most 256 colours are written as palette PNGs by the C shim's `scrim_png_write_indexed`
/// (libpng's full API, its `setjmp` inside that C function, so no jump crosses Swift code). 8-bit RGB only; decoding converts any PNG (grey, palette, alpha, 16-bit) to 8-bit RGB, compositing alpha
/// on black as libpng does without a background. Allocates; thread-safe (no shared state).
public enum PNGImage {
    /// How hard zlib works on a palette picture.
    public enum Compression: Sendable {
        /// Level 1, run-length strategy: the full-size plots, written once per job, where time counts.
        case fast
        /// Level 9: thumbnails, stored and embedded many times in a day report, where bytes count.
        case smallest
    }

    /// Encodes a canvas as a PNG file's bytes.
    /// - Throws: ``ScrimError`` `.invalidState` with libpng's message when libpng refuses.
    public static func encode(_ canvas: PlotCanvas, compression: Compression = .fast) throws(ScrimError) -> [UInt8] {
        try encode(rgb: canvas.pixels, width: canvas.width, height: canvas.height, compression: compression)
    }

    /// The picture as palette indices when it has at most 256 colours (Scrim's plots do: ``PlotColorMap`` draws
    /// with ``PlotColorMap/drawnLevels`` levels, plus a dozen colours for text and marks), else nil.
    /// One byte per pixel instead of three: a third of the data for zlib, and a smaller file.
    static func palette(rgb: [UInt8]) -> (indices: [UInt8], colormap: [UInt8])? {
        // Open addressing on the 24-bit colour: 1024 slots, at most 256 used.
        var keys = [UInt32](repeating: UInt32.max, count: 1024)
        var values = [UInt8](repeating: 0, count: 1024)
        var colormap: [UInt8] = []
        colormap.reserveCapacity(768)
        var indices = [UInt8](repeating: 0, count: rgb.count / 3)
        let ok = rgb.withUnsafeBufferPointer { p -> Bool in
            indices.withUnsafeMutableBufferPointer { out -> Bool in
                var last = UInt32.max, lastIndex: UInt8 = 0
                for i in 0..<out.count {
                    let key = UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2])
                    if key == last {
                        out[i] = lastIndex
                        continue
                    }
                    var slot = Int((key &* 2_654_435_761) >> 22)
                    while keys[slot] != key && keys[slot] != UInt32.max { slot = (slot + 1) & 1023 }
                    if keys[slot] == UInt32.max {
                        guard colormap.count < 768 else { return false }
                        keys[slot] = key
                        values[slot] = UInt8(colormap.count / 3)
                        colormap += [p[3 * i], p[3 * i + 1], p[3 * i + 2]]
                    }
                    last = key
                    lastIndex = values[slot]
                    out[i] = lastIndex
                }
                return true
            }
        }
        return ok ? (indices, colormap) : nil
    }

    /// Encodes interleaved 8-bit RGB pixels (`width · 3` bytes per row, top row first).
    /// - Throws: ``ScrimError`` `.configuration` when the sizes disagree; `.invalidState` with libpng's message
    ///   when libpng refuses.
    public static func encode(rgb: [UInt8], width: Int, height: Int,
                              compression: Compression = .fast) throws(ScrimError) -> [UInt8] {
        guard width >= 1, height >= 1, width <= 1 << 20, height <= 1 << 20, rgb.count == width * height * 3 else {
            throw ScrimError(.configuration, "PNG encode: \(rgb.count) bytes do not make a \(width)x\(height) RGB "
                             + "picture")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        if let (indices, colormap) = palette(rgb: rgb) {
            return try writeIndexed(indices, width: width, height: height, colormap: colormap,
                                    smallest: compression == .smallest)
        }
        image.format = png_uint_32(PNG_FORMAT_RGB)
        // Speed over size: a spectrogram is noise to zlib, and the default effort cost more than drawing the whole
        // picture (26 % of `denoise --plot` on a 10-minute file); the fast setting writes a somewhat larger file.
        image.flags = png_uint_32(PNG_IMAGE_FLAG_FAST)
        return try write(&image, pixels: rgb, rowStride: width * 3)
    }

    /// Writes a palette picture through the shim's `scrim_png_write_indexed` (zlib level 1, run-length strategy, no
    /// row filters: the spectrogram's rows compress 2.3× faster than at libpng's fast setting, which the simplified
    /// API cannot change, for a file 3.5 % larger), into a buffer the size of the pixels plus an allowance, and again
    /// into a larger one in the unexpected case that the PNG needs more.
    private static func writeIndexed(_ indices: [UInt8], width: Int, height: Int, colormap: [UInt8],
                                     smallest: Bool) throws(ScrimError) -> [UInt8] {
        var capacity = indices.count + indices.count / 1024 + height + colormap.count + 4096
        for _ in 0..<2 {
            var bytes = [UInt8](repeating: 0, count: capacity)
            var sink = scrim_png_sink()
            let ok = bytes.withUnsafeMutableBufferPointer { out -> Int32 in
                indices.withUnsafeBufferPointer { p in
                    colormap.withUnsafeBufferPointer { c in
                        sink.bytes = out.baseAddress
                        sink.capacity = out.count
                        return scrim_png_write_indexed(p.baseAddress, UInt32(width), UInt32(height), c.baseAddress,
                                                       Int32(colormap.count / 3), smallest ? 1 : 0, &sink)
                    }
                }
            }
            guard ok != 0 else {
                let message = withUnsafeBytes(of: &sink.message) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                throw ScrimError(.invalidState, "PNG encode: libpng: \(message.isEmpty ? "failed" : message)")
            }
            if sink.count <= capacity {
                bytes.removeLast(capacity - sink.count)
                return bytes
            }
            capacity = sink.count
        }
        throw ScrimError(.invalidState, "PNG encode: the picture's size changed between two writes")
    }

    /// Writes `image` to memory in one call, into a buffer as large as the pixels plus an allowance (a deflate
    /// stream of incompressible bytes grows by 5 bytes per 64 KB block; rows add a filter byte each; chunk headers,
    /// the palette and the zlib header fit in the allowance); libpng reports the size it needed when the buffer
    /// is too small, and then a second call writes it. (Asking for the size first, with no buffer, compressed the
    /// picture twice: half of the encoder's time.)
    private static func write(_ image: inout png_image, pixels: [UInt8], rowStride: Int) throws(ScrimError) -> [UInt8] {
        func call(_ memory: UnsafeMutableRawPointer?, _ size: inout Int) -> Int32 {
            pixels.withUnsafeBytes { p in
                png_image_write_to_memory(&image, memory, &size, 0, p.baseAddress, png_int_32(rowStride), nil)
            }
        }
        let rows = Int(image.height)
        let capacity = pixels.count + pixels.count / 1024 + rows + 4096
        var bytes = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        var written = bytes.withUnsafeMutableBytes { out in call(out.baseAddress, &size) }
        if written == 0, size > capacity {
            // Larger than the allowance (not expected): libpng said how large; write again into that.
            image.warning_or_error = 0
            bytes = [UInt8](repeating: 0, count: size)
            written = bytes.withUnsafeMutableBytes { out in call(out.baseAddress, &size) }
        }
        guard written != 0, size > 0, size <= bytes.count else { throw failure(&image, "PNG encode") }
        bytes.removeLast(bytes.count - size)
        return bytes
    }

    /// A decoded picture: 8-bit RGB, `width · 3` bytes per row, top row first.
    public struct Decoded: Sendable {
        public var width: Int
        public var height: Int
        public var rgb: [UInt8]

        /// The colour at (x, y).
        /// - Precondition: inside the picture.
        public func color(x: Int, y: Int) -> PlotColor {
            precondition(x >= 0 && y >= 0 && x < width && y < height, "pixel (\(x), \(y)) of \(width)x\(height)")
            let i = 3 * (y * width + x)
            return PlotColor(red: rgb[i], green: rgb[i + 1], blue: rgb[i + 2])
        }
    }

    /// The largest picture ``decode(_:)`` accepts, in pixels (64 megapixels: far beyond any plot, and bounded so a
    /// damaged or hostile header cannot ask for gigabytes).
    public static let maximumDecodedPixels = 1 << 26

    /// Decodes PNG bytes to 8-bit RGB.
    /// - Throws: ``ScrimError`` `.invalidDocument` with libpng's message for bytes that are not a PNG it can
    ///   read, or a picture larger than ``maximumDecodedPixels``.
    public static func decode(_ bytes: [UInt8]) throws(ScrimError) -> Decoded {
        guard !bytes.isEmpty else { throw ScrimError(.invalidDocument, "PNG decode: no bytes") }
        let result = bytes.withUnsafeBytes { (memory: UnsafeRawBufferPointer) -> Result<Decoded, ScrimError> in
            var image = png_image()
            image.version = png_uint_32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, memory.baseAddress, memory.count) != 0 else {
                return .failure(failure(&image, "PNG decode", code: .invalidDocument))
            }
            let width = Int(image.width), height = Int(image.height)
            guard width >= 1, height >= 1, width.multipliedReportingOverflow(by: height).partialValue
                    <= maximumDecodedPixels, width <= maximumDecodedPixels, height <= maximumDecodedPixels else {
                png_image_free(&image)
                return .failure(ScrimError(.invalidDocument, "PNG decode: a \(width)x\(height) picture is larger "
                                           + "than \(maximumDecodedPixels) pixels"))
            }
            image.format = png_uint_32(PNG_FORMAT_RGB)
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            let finished = rgb.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, png_int_32(width * 3), nil)
            }
            guard finished != 0 else { return .failure(failure(&image, "PNG decode", code: .invalidDocument)) }
            return .success(Decoded(width: width, height: height, rgb: rgb))
        }
        return try result.get()
    }

    /// libpng's message from a failed call (the image is freed).
    private static func failure(_ image: inout png_image, _ what: String,
                                code: ScrimError.Code = .invalidState) -> ScrimError {
        let message = withUnsafeBytes(of: &image.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        png_image_free(&image)
        return ScrimError(code, "\(what): libpng: \(message.isEmpty ? "failed" : message)")
    }
}
