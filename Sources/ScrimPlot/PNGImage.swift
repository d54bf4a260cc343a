import CPNG
import ScrimCore

/// PNG encoding and decoding of RGB pictures in memory, through libpng's simplified API (`png_image_*`, libpng
/// 1.6), which reports failures in the image structure instead of jumping out with longjmp, so Swift can call it
/// safely. 8-bit RGB only; decoding converts any PNG (grey, palette, alpha, 16-bit) to 8-bit RGB, compositing alpha
/// on black as libpng does without a background. Allocates; thread-safe (no shared state).
public enum PNGImage {
    /// Encodes a canvas as a PNG file's bytes.
    /// - Throws: ``ScrimError`` `.invalidState` with libpng's message when libpng refuses.
    public static func encode(_ canvas: PlotCanvas) throws(ScrimError) -> [UInt8] {
        try encode(rgb: canvas.pixels, width: canvas.width, height: canvas.height)
    }

    /// Encodes interleaved 8-bit RGB pixels (`width · 3` bytes per row, top row first).
    /// - Throws: ``ScrimError`` `.configuration` when the sizes disagree; `.invalidState` with libpng's message
    ///   when libpng refuses.
    public static func encode(rgb: [UInt8], width: Int, height: Int) throws(ScrimError) -> [UInt8] {
        guard width >= 1, height >= 1, width <= 1 << 20, height <= 1 << 20, rgb.count == width * height * 3 else {
            throw ScrimError(.configuration, "PNG encode: \(rgb.count) bytes do not make a \(width)x\(height) RGB "
                             + "picture")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        var size = 0
        // First call: the size needed (memory nil); second: the bytes.
        let sized = rgb.withUnsafeBytes { pixels in
            png_image_write_to_memory(&image, nil, &size, 0, pixels.baseAddress, png_int_32(width * 3), nil)
        }
        guard sized != 0, size > 0 else { throw failure(&image, "PNG encode") }
        var bytes = [UInt8](repeating: 0, count: size)
        let written = bytes.withUnsafeMutableBytes { out in
            rgb.withUnsafeBytes { pixels in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, pixels.baseAddress,
                                          png_int_32(width * 3), nil)
            }
        }
        guard written != 0 else { throw failure(&image, "PNG encode") }
        return Array(bytes.prefix(size))
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
