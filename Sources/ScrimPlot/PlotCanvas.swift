/// An sRGB colour, 8 bits per component.
public struct PlotColor: Sendable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from 0xRRGGBB.
    public init(hex: UInt32) {
        self.init(red: UInt8(truncatingIfNeeded: hex >> 16), green: UInt8(truncatingIfNeeded: hex >> 8),
                  blue: UInt8(truncatingIfNeeded: hex))
    }

    /// A colour from components in 0…1 (clamped, rounded to the nearest 8-bit value).
    public init(unitRed r: Double, green g: Double, blue b: Double) {
        func byte(_ v: Double) -> UInt8 { UInt8((min(1, max(0, v.isNaN ? 0 : v)) * 255).rounded()) }
        self.init(red: byte(r), green: byte(g), blue: byte(b))
    }

    public static let black = PlotColor(hex: 0x000000)
    public static let white = PlotColor(hex: 0xFFFFFF)
    /// The picture's background and its text, grid and accent colours.
    public static let background = PlotColor(hex: 0xFFFFFF)
    public static let text = PlotColor(hex: 0x202020)
    public static let frame = PlotColor(hex: 0x606060)
    public static let grid = PlotColor(hex: 0xD0D0D0)
    public static let clip = PlotColor(hex: 0xE0201A)
    public static let hum = PlotColor(hex: 0x00A0C8)
    public static let momentary = PlotColor(hex: 0x9DB8D9)
    public static let shortTerm = PlotColor(hex: 0x1F4E9A)
    public static let peak = PlotColor(hex: 0x707070)
}

/// A rectangle of device pixels: origin at the top left, y growing downwards.
public struct PlotRect: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}

/// An RGB picture in memory (8 bits per component, rows top to bottom), with the few drawing operations plots need:
/// filled rectangles, one-pixel lines, text in ``PlotFont``. Everything drawn outside the canvas is clipped.
/// Not thread-safe; a value type (copies are independent).
public struct PlotCanvas: Sendable {
    public let width: Int
    public let height: Int
    /// Interleaved R, G, B bytes, `width · 3` per row, top row first.
    public private(set) var pixels: [UInt8]

    /// A canvas filled with `background`.
    /// - Precondition: width and height ≥ 1 and their product below 2^28 pixels.
    public init(width: Int, height: Int, background: PlotColor = .background) {
        precondition(width >= 1 && height >= 1 && width.multipliedReportingOverflow(by: height).partialValue < 1 << 28,
                     "canvas \(width)x\(height)")
        self.width = width
        self.height = height
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            bytes[3 * i] = background.red
            bytes[3 * i + 1] = background.green
            bytes[3 * i + 2] = background.blue
        }
        pixels = bytes
    }

    /// Direct access to the pixels (interleaved R, G, B, `width · 3` bytes per row, top row first) for loops that
    /// draw many pixels at once.
    @inline(__always)
    public mutating func withUnsafeMutablePixels<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        pixels.withUnsafeMutableBufferPointer { body($0) }
    }

    /// The colour at (x, y), or nil outside the canvas.
    public func color(x: Int, y: Int) -> PlotColor? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let i = 3 * (y * width + x)
        return PlotColor(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
    }

    /// Sets one pixel (ignored outside the canvas).
    @inline(__always)
    public mutating func set(x: Int, y: Int, _ color: PlotColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.red
        pixels[i + 1] = color.green
        pixels[i + 2] = color.blue
    }

    /// Fills a rectangle (clipped to the canvas).
    public mutating func fill(_ rect: PlotRect, _ color: PlotColor) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 { set(x: x, y: y, color) }
        }
    }

    /// A one-pixel outline just inside `rect`.
    public mutating func stroke(_ rect: PlotRect, _ color: PlotColor) {
        horizontalLine(y: rect.y, from: rect.x, to: rect.maxX - 1, color)
        horizontalLine(y: rect.maxY - 1, from: rect.x, to: rect.maxX - 1, color)
        verticalLine(x: rect.x, from: rect.y, to: rect.maxY - 1, color)
        verticalLine(x: rect.maxX - 1, from: rect.y, to: rect.maxY - 1, color)
    }

    /// A horizontal line from x0 to x1 inclusive.
    public mutating func horizontalLine(y: Int, from x0: Int, to x1: Int, _ color: PlotColor) {
        guard x0 <= x1 else { return }
        for x in max(0, x0)...max(max(0, x0), min(width - 1, x1)) where x <= x1 { set(x: x, y: y, color) }
    }

    /// A vertical line from y0 to y1 inclusive (in either order).
    public mutating func verticalLine(x: Int, from y0: Int, to y1: Int, _ color: PlotColor) {
        let lo = max(0, min(y0, y1)), hi = min(height - 1, max(y0, y1))
        guard lo <= hi else { return }
        for y in lo...hi { set(x: x, y: y, color) }
    }

    /// A one-pixel line between two points (Bresenham), clipped to the canvas.
    public mutating func line(from start: (x: Int, y: Int), to end: (x: Int, y: Int), _ color: PlotColor) {
        var x0 = start.x, y0 = start.y
        let dx = abs(end.x - x0), dy = -abs(end.y - y0)
        let sx = x0 < end.x ? 1 : -1, sy = y0 < end.y ? 1 : -1
        var error = dx + dy
        // Bounded: at most dx + |dy| + 1 steps.
        for _ in 0...(dx - dy) {
            set(x: x0, y: y0, color)
            if x0 == end.x && y0 == end.y { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x0 += sx }
            if e2 <= dx { error += dx; y0 += sy }
        }
    }

    /// How text is placed relative to its anchor point.
    public enum Alignment: Sendable {
        case left, center, right
    }

    /// Draws `text` in ``PlotFont`` with the top of its capitals at `y`.
    /// - Parameters:
    ///   - x: the anchor: the left edge, the centre or the right edge of the text, by `alignment`.
    ///   - scale: device pixels per font pixel (1 or more).
    /// - Returns: the rectangle the text's cells occupy (glyph cells, descenders included).
    @discardableResult
    public mutating func text(_ text: String, x: Int, y: Int, alignment: Alignment = .left, scale: Int = 1,
                              _ color: PlotColor = .text) -> PlotRect {
        let scale = max(1, scale)
        let textWidth = PlotFont.width(of: text, scale: scale)
        let left: Int
        switch alignment {
        case .left: left = x
        case .center: left = x - textWidth / 2
        case .right: left = x - textWidth
        }
        var pen = left
        for scalar in text.unicodeScalars {
            let code = scalar.value < 128 ? UInt8(scalar.value) : UInt8(ascii: "?")
            let rows = PlotFont.rows(of: code)
            for (r, bits) in rows.enumerated() where bits != 0 {
                for c in 0..<PlotFont.glyphWidth where bits & (1 << UInt8(4 - c)) != 0 {
                    fill(PlotRect(x: pen + c * scale, y: y + r * scale, width: scale, height: scale), color)
                }
            }
            pen += PlotFont.advance * scale
        }
        return PlotRect(x: left, y: y, width: textWidth, height: 9 * scale)
    }
}
