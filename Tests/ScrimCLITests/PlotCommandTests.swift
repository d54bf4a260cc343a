import Foundation
import Testing

/// The width and height in a PNG's IHDR chunk (bytes 16–23, big-endian), after checking the signature.
func pngSize(_ path: String) throws -> (width: Int, height: Int) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    try #require(bytes.count > 24 && Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    func be32(_ o: Int) -> Int { bytes[o..<o + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be32(16), be32(20))
}

@Suite struct PlotCommandTests {
    /// analyze --plot FILE.png: the text says where the picture went; the PNG is 1400 px wide and taller for the
    /// 4-track poly BWF than for the mono take (one spectrogram per track).
    @Test func analyzeWritesThePicture() throws {
        let folder = TemporaryFolder()
        let mono = folder.file("mono.png"), poly = folder.file("poly.png")
        let result = try CLI.run(["analyze", CLI.sample("hum_take.wav"), "--plot", mono])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  plot       \(mono)"))
        let polyRun = try CLI.run(["analyze", CLI.sample("poly_bwf_4ch.wav"), "--plot", poly])
        #expect(polyRun.status == 0, "\(polyRun.stderr)")
        let a = try pngSize(mono), b = try pngSize(poly)
        #expect(a.width == 1400 && b.width == 1400)
        #expect(b.height > a.height)
    }

    /// Several inputs: --plot must be a folder (a file path is a usage error, exit 2, nothing analysed); in a
    /// folder each input gets NAME.png, NAME-2.png for a repeated name.
    @Test func severalInputsNeedAFolder() throws {
        let folder = TemporaryFolder()
        let inputs = [CLI.sample("hum_take.wav"), CLI.sample("take_quiet.wav")]
        let refused = try CLI.run(["analyze"] + inputs + ["--plot", folder.file("x.png")])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("folder"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.png")))
        // A folder given, even one holding a single file: a folder is needed too.
        let one = folder.file("one")
        try FileManager.default.createDirectory(atPath: one, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.sample("take_quiet.wav"), toPath: one + "/take.wav")
        #expect(try CLI.run(["analyze", one, "--plot", folder.file("y.png")]).status == 2)
        let out = folder.file("plots")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try CLI.run(["analyze"] + inputs + [CLI.sample("hum_take.wav"), "--plot", out, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let plots = try CLI.jsonLines(result.stdout).compactMap { $0["plot"] as? String }
        #expect(plots == [out + "/hum_take.png", out + "/take_quiet.png", out + "/hum_take-2.png"])
        for plot in plots { #expect(try pngSize(plot).width == 1400) }
    }

    /// Usage errors (exit 2): a path not ending in .png, and `-`.
    @Test(arguments: [["analyze", "IN", "--plot", "x.jpg"], ["denoise", "IN", "-o", "OUT", "--plot", "x.wav"],
                      ["dehum", "IN", "-o", "OUT", "--plot", "-"], ["process", "IN", "-o", "OUT", "--plot", "plot"]])
    func plotPathMustBePNG(arguments: [String]) throws {
        let folder = TemporaryFolder()
        let filled = arguments.map { $0 == "IN" ? CLI.sample("take_quiet.wav") : $0 == "OUT" ? folder.file("o.wav") : $0 }
        let result = try CLI.run(filled)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--plot"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("o.wav")))
    }

    /// An existing picture is never replaced without --overwrite (exit 1, the file untouched, and for denoise
    /// nothing written at all: the check comes before the work); with --overwrite it is.
    @Test func existingPlotIsKeptWithoutOverwrite() throws {
        let folder = TemporaryFolder()
        let plot = try folder.write("keep.png", "mine\n")
        let analyze = try CLI.run(["analyze", CLI.sample("take_quiet.wav"), "--plot", plot])
        #expect(analyze.status == 1)
        #expect(analyze.stderr.contains("already exists"))
        let denoise = try CLI.run(["denoise", CLI.sample("take_quiet.wav"), "-o", folder.file("o.wav"), "--plot", plot])
        #expect(denoise.status == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.file("o.wav")))
        #expect(try String(contentsOfFile: plot, encoding: .utf8) == "mine\n")
        let replaced = try CLI.run(["denoise", CLI.sample("take_quiet.wav"), "-o", folder.file("o.wav"), "--plot",
                                    plot, "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(replaced.stdout.contains("  plot       \(plot)"))
        #expect(try pngSize(plot).width == 1400)
        // No Scrim temporaries left beside it.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!names.contains { $0.hasSuffix(".tmp") })
    }

    /// Nothing decided silently: a multi-track before/after picture says in the warnings (JSON and text) that the
    /// tracks are drawn as their mean power.
    @Test func pictureDecisionsAreWarnings() throws {
        let folder = TemporaryFolder()
        let result = try CLI.run(["denoise", CLI.sample("poly_bwf_4ch.wav"), "-o", folder.file("o.wav"), "--plot",
                                  folder.file("o.png"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let warnings = try #require(line["warnings"] as? [[String: Any]])
        #expect(warnings.contains {
            $0["code"] as? String == "plotNote"
                && $0["message"] as? String == "plot: the 4 tracks are drawn as their mean power in each panel"
        }, "\(warnings)")
        let text = try CLI.run(["dehum", CLI.sample("poly_bwf_4ch.wav"), "-o", folder.file("h.wav"), "--plot",
                                folder.file("h.png")])
        #expect(text.stdout.contains("  warning    plot: the 4 tracks are drawn as their mean power"))
    }

    /// The before/after picture of dehum and process: three panels' worth of height.
    @Test func dehumAndProcessDrawBeforeAndAfter() throws {
        let folder = TemporaryFolder()
        for command in [["dehum"], ["process", "--preset", "dailies"]] {
            let plot = folder.file(command[0] + ".png")
            let result = try CLI.run(command + [CLI.sample("hum_take.wav"), "-o", folder.file(command[0] + ".wav"),
                                                "--plot", plot])
            #expect(result.status == 0, "\(result.stderr)")
            let size = try pngSize(plot)
            #expect(size.width == 1400 && size.height > 3 * 220)
        }
    }
}
