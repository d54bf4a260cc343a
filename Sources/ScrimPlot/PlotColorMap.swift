import Foundation

/// The spectrogram colour map: a "cubehelix" ramp (D. A. Green, "A colour scheme for the display of astronomical
/// intensity images", Bulletin of the Astronomical Society of India 39, 289–295, 2011), computed from the paper's
/// formula, not from a table.
///
/// Green's scheme runs a helix around the grey diagonal of the RGB cube: for a fraction λ (0 = black, 1 = white)
/// the grey level λ^γ is perturbed by an amplitude a = h·λ^γ·(1 − λ^γ)/2 along two directions perpendicular to the
/// grey axis in the plane of constant perceived brightness (his eq. 2 with the luminance weights 0.30, 0.59, 0.11),
/// at angle φ = 2π(s/3 + r·λ):
///
///     R = λ^γ + a(−0.14861 cos φ + 1.78277 sin φ)
///     G = λ^γ + a(−0.29227 cos φ − 0.90649 sin φ)
///     B = λ^γ + a( 1.97294 cos φ)
///
/// So brightness rises monotonically with λ whatever the hue, which is what a level map needs (and what prints in
/// grey); the hue turns −1.5 times through blue, green and red on the way (s = 0.5, r = −1.5, h = 1.2, γ = 1).
/// The monotonicity in OKLab lightness (B. Ottosson, "A perceptual color space for image processing", 2020) of
/// the 8-bit table is checked in ScrimPlotTests.
public struct PlotColorMap: Sendable {
    /// Start colour s, rotations r, hue (saturation) h and gamma γ of Green's formula.
    public let start: Double
    public let rotations: Double
    public let hue: Double
    public let gamma: Double
    /// The map sampled at 256 levels (index 0 = λ 0).
    public let table: [PlotColor]

    /// The map Scrim's plots use.
    public static let spectrogram = PlotColorMap(start: 0.5, rotations: -1.5, hue: 1.2, gamma: 1.0)

    public init(start: Double, rotations: Double, hue: Double, gamma: Double) {
        self.start = start
        self.rotations = rotations
        self.hue = hue
        self.gamma = gamma
        table = (0..<256).map { Self.evaluate(Double($0) / 255, start: start, rotations: rotations, hue: hue,
                                             gamma: gamma) }
    }

    /// Green's formula at λ (clamped to 0…1), components clipped to the cube.
    public static func evaluate(_ lambda: Double, start: Double, rotations: Double, hue: Double,
                                gamma: Double) -> PlotColor {
        let l = min(1, max(0, lambda.isNaN ? 0 : lambda))
        let lg = pow(l, gamma)
        let amplitude = hue * lg * (1 - lg) / 2
        let phi = 2 * Double.pi * (start / 3 + rotations * l)
        let c = cos(phi), s = sin(phi)
        return PlotColor(unitRed: lg + amplitude * (-0.14861 * c + 1.78277 * s),
                         green: lg + amplitude * (-0.29227 * c - 0.90649 * s),
                         blue: lg + amplitude * (1.97294 * c))
    }

    /// Levels a picture is drawn with: 224 of the table's 256, evenly spread (so a whole picture — map, text and
    /// marks — fits a 256-colour PNG palette; steps of under 0.5 dB on a 100 dB scale).
    public static let drawnLevels = 224

    /// The colour of `fraction` (0…1, clamped; NaN is 0), one of `levels` levels (2…256, default
    /// ``drawnLevels``) spread evenly over the table.
    @inline(__always)
    public func color(_ fraction: Float, levels: Int = PlotColorMap.drawnLevels) -> PlotColor {
        let steps = min(256, max(2, levels)) - 1
        let f = fraction.isNaN ? 0 : min(1, max(0, fraction))
        let level = Int((f * Float(steps)).rounded())
        return table[level * 255 / steps]
    }

    /// OKLab lightness L (0 black … 1 white) of an sRGB colour (Ottosson 2020: the sRGB transfer function undone,
    /// then his M1 matrix, cube roots and the first row of M2).
    public static func oklabLightness(_ color: PlotColor) -> Double {
        func linear(_ byte: UInt8) -> Double {
            let c = Double(byte) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        let r = linear(color.red), g = linear(color.green), b = linear(color.blue)
        let l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b
        let m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b
        let s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b
        return 0.2104542553 * cbrt(l) + 0.7936177850 * cbrt(m) - 0.0040720468 * cbrt(s)
    }
}
