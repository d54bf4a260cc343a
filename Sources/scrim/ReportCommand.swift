import ArgumentParser
import Foundation
import Scrim

/// `scrim report OUTDIR --html FILE`: the HTML day report, rebuilt from what batches stored in OUTDIR.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild the HTML day report of a batch's output folder from its stored reports.",
        discussion: """
            Reads OUTDIR/.scrim/reports (one report per file, with its picture when one was made) and \
            OUTDIR/.scrim/batches (each run's record: which files were up to date, files refused before any work, \
            the run's time) and writes one self-contained HTML page: the same page scrim batch --html writes. \
            FILE must end in .html or .htm; an existing FILE is replaced only when it is a Scrim day report \
            (or with --overwrite). Nothing else is written.

            Exit codes: 0 written; 1 the page could not be written; 2 usage error (no such folder, no stored \
            reports in it, a FILE that is not .html/.htm or not Scrim's).
            """
    )

    @Argument(help: ArgumentHelp("A batch's output folder (scrim batch … -o OUTDIR).", valueName: "outdir"))
    var outputFolder: String

    @Option(help: ArgumentHelp("The HTML page to write (.html or .htm).", valueName: "file"))
    var html: String

    @Flag(help: "Replace FILE even when it is not a Scrim day report.")
    var overwrite = false

    @Flag(help: "One JSON line on stdout (the envelope with report).")
    var json = false

    func validate() throws {
        try checkDayReportExtension(html)
    }

    func run() throws {
        let report: DayReport
        do {
            report = try DayReport.load(outputFolder: outputFolder)
        } catch {
            throw ValidationError("\(error)")
        }
        try checkDayReportDestination(html, overwrite: overwrite)
        do {
            try report.write(to: html, overwrite: overwrite)
        } catch {
            throw reportFailure(error, path: outputFolder, command: "report", json: json, output: html)
        }
        if json {
            print(Envelope.make(command: "report", input: outputFolder, output: html, status: .done,
                                warnings: report.problems.map { JobWarning(.reportUnreadable, $0) }, report: [("report", report.summaryJSON)]).serialized())
        } else {
            print(describeDayReport(report, path: html))
        }
    }
}

/// `--html FILE` must name an HTML page (a usage error, exit 2, otherwise).
func checkDayReportExtension(_ path: String) throws {
    let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
    guard name.hasSuffix(".html") || name.hasSuffix(".htm"), name != ".html", name != ".htm" else {
        throw ValidationError("--html \(SystemPath.display(path)): the day report is an HTML page; name it NAME.html "
                              + "or NAME.htm")
    }
}

/// What stands at `--html FILE` may be replaced (nothing, a Scrim day report, or anything regular with
/// `--overwrite`); otherwise a usage error (exit 2) before any work.
func checkDayReportDestination(_ path: String, overwrite: Bool) throws {
    do {
        try DayReport.checkDestination(path, overwrite: overwrite)
    } catch {
        throw ValidationError("--html \(error)")
    }
}

/// The line `report` and `batch --html` print about the page.
func describeDayReport(_ report: DayReport, path: String) -> String {
    let summary = report.summary
    var text = "day report \(SystemPath.display(path)): \(summary.files) files (\(summary.done) done, "
        + "\(summary.upToDate) up to date, \(summary.failed) failed"
    if summary.notFinished > 0 { text += ", \(summary.notFinished) not finished" }
    text += String(format: "), %.2f h of audio, ", summary.audioSeconds / 3600)
    let warnings = summary.warningsByCode.reduce(0) { $0 + $1.count }
    text += "\(warnings) warning\(warnings == 1 ? "" : "s"), \(report.rows.filter { $0.picture != nil }.count) pictures"
    for problem in report.problems { text += "\n  unreadable  " + problem }
    return text
}
