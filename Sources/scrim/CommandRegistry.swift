import ArgumentParser

/// Every `scrim` subcommand, in the order `scrim --help` lists them. One line per command.
enum CommandRegistry {
    static let subcommands: [ParsableCommand.Type] = [
        InfoCommand.self,
        AnalyzeCommand.self,
        LoudnessCommand.self,
        NormalizeCommand.self,
        MatchCommand.self,
        DeclipCommand.self,
        DehumCommand.self,
        DeclickCommand.self,
        DewindCommand.self,
        DenoiseCommand.self,
        ProfileCommand.self,
        ProcessCommand.self,
        BatchCommand.self,
        ReportCommand.self,
        PresetsCommand.self,
    ]
}
