import ArgumentParser
import Scrim

@main
struct ScrimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrim",
        abstract: "Audio cleanup for production sound: noise reduction, de-hum and loudness.",
        version: scrimVersion,
        subcommands: []
    )
}
