import ArgumentParser
import Foundation
import Scrim

/// `--plot FILE.png`: a picture of the work, for every command that can draw one (analyze: the analysis picture;
/// denoise, dehum, process: input, output and what was removed). Written atomically, never over an existing file
/// without `--overwrite`; a path that does not end in .png is a usage error (exit 2).
struct PlotOption: ParsableArguments {
    @Option(help: ArgumentHelp("Also draw a picture (PNG): spectrograms of the input, the output and what was "
                               + "removed, on one colour scale.", valueName: "file.png"))
    var plot: String?

    /// Checks the destination (a usage error before any work).
    /// - Parameter folderAllowed: an existing folder is accepted too (`scrim analyze` with several inputs).
    func validate(folderAllowed: Bool = false) throws {
        guard let plot else { return }
        if folderAllowed && FileSystem.kind(of: plot, followingLinks: true) == .directory { return }
        if plot == "-" { throw ValidationError("--plot -: a plot is written to a file, not to standard output") }
        if let problem = FilePlot.pathProblem(plot) {
            throw ValidationError("--plot \(SystemPath.display(plot)): \(problem)")
        }
    }

    /// Draws the before/after picture of a finished job and writes it.
    /// - Returns: the plot's path as people see it and what the picture decided, or nil when no plot was asked for.
    /// - Parameter tap: the job's tap (``tap``), when it ran with one: the picture is drawn from what the job's own
    ///   pass measured, without reading the files again.
    func drawComparison(command: String, paths: JobPaths, humHertz: [Double] = [], tap: ComparisonTap? = nil,
                        overwrite: Bool) throws -> PlotWritten? {
        guard let plot else { return nil }
        let picture = try FilePlot.comparisonPicture(
            input: paths.input, output: paths.output,
            title: "scrim \(command): \(paths.displayInput) -> \(paths.displayOutput)", humHertz: humHertz,
            tap: tap, isCancelled: { Interruption.requested })
        try FilePlot.write(picture, to: plot, overwrite: overwrite)
        return PlotWritten(path: SystemPath.display(plot), notes: picture.notes)
    }

    /// A tap for a single-pass job when a picture is asked for (nil otherwise).
    func tap() -> ComparisonTap? { plot == nil ? nil : ComparisonTap() }

    /// Refuses, before any work, a plot that exists (without `--overwrite`) or is not a regular file, or that is
    /// the input itself.
    func checkDestination(overwrite: Bool, input: String) throws {
        guard let plot else { return }
        if input != "-", AudioFileWriter.isSameFile(plot, input) {
            throw ValidationError("--plot \(SystemPath.display(plot)) is the input file; Scrim never writes its "
                                  + "input")
        }
        try FileSystem.checkReplaceable(plot, overwrite: overwrite)
    }
}

/// A picture written: where, and what it decided (added to the report's warnings).
struct PlotWritten {
    var path: String
    var notes: [String]
}

extension JSONValue {
    /// The envelope with the `plot` key (the picture's path, or null) added to its report, and the picture's notes
    /// added to its `warnings`.
    func addingPlot(_ plot: PlotWritten?) -> JSONValue {
        guard case .object(var pairs) = self else { return self }
        if let notes = plot?.notes, !notes.isEmpty, let index = pairs.firstIndex(where: { $0.0 == "warnings" }),
           case .array(let warnings) = pairs[index].1 {
            pairs[index].1 = .array(warnings + notes.map { JobWarning(.plotNote, $0).json })
        }
        return .object(pairs + [("plot", plot.map { .string($0.path) } ?? .null)])
    }
}

/// The text report's lines for a plot ("  plot       take.png", then its notes as warnings), or nothing.
func plotLines(_ plot: PlotWritten?) -> String {
    guard let plot else { return "" }
    return "\n  plot       " + plot.path + plot.notes.map { "\n  warning    " + $0 }.joined()
}

extension PlotOption {
    init(plot: String?) {
        self.init()
        self.plot = plot
    }
}

/// Where `scrim analyze --plot` puts each input's picture: the file given, for one input; NAME.png in the folder
/// given, for several (or when the path given is a folder), NAME-2.png and so on when names repeat in one run.
struct AnalysisPlotPaths {
    let plot: String?
    let folder: String?
    private var used: Set<String> = []
    /// A usage problem: several inputs (or a folder given) and a plot path that is not a folder.
    let problem: String?

    /// - Parameter inputCount: the inputs found (pass 2 or more when a folder was given, whatever it held).
    init(plot: String?, inputCount: Int) {
        self.plot = plot
        let isFolder = plot.map { FileSystem.kind(of: $0, followingLinks: true) == .directory } ?? false
        folder = isFolder ? plot : nil
        if let plot, !isFolder, inputCount > 1 {
            problem = "--plot \(SystemPath.display(plot)): with several inputs or a folder, --plot names an "
                + "existing folder (each input gets NAME.png in it)"
        } else {
            problem = nil
        }
    }

    /// The destination for an input.
    mutating func destination(for input: String) -> String? {
        guard let plot else { return nil }
        guard let folder else { return plot }
        var name = input == "-" ? "stdin" : Temporaries.split(input).name
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        var candidate = name + ".png"
        var n = 2
        while used.contains(candidate) {
            candidate = "\(name)-\(n).png"
            n += 1
        }
        used.insert(candidate)
        return folder + (folder.hasSuffix("/") ? "" : "/") + candidate
    }

    /// Draws and writes the analysis picture of one input, when asked.
    /// - Returns: the picture's path as people see it and its notes, or nil.
    mutating func draw(for input: String, source: InputSource, hum: HumDetection, overwrite: Bool) throws
        -> PlotWritten? {
        guard let path = destination(for: input) else { return nil }
        if input != "-", AudioFileWriter.isSameFile(path, input) {
            throw ScrimError(.configuration, "--plot \(SystemPath.display(path)) is the input file; Scrim never "
                             + "writes its input")
        }
        try FileSystem.checkReplaceable(path, overwrite: overwrite)
        let picture: PlotPicture
        do {
            picture = try FilePlot.analysisPicture(path: source.jobPath, displayName: source.displayPath, hum: hum)
        } catch {
            throw source.naming(error)
        }
        try FilePlot.write(picture, to: path, overwrite: overwrite)
        return PlotWritten(path: SystemPath.display(path), notes: picture.notes)
    }
}
