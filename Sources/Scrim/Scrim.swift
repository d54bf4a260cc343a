// Scrim: the public face. Re-exports the modules below so `import Scrim` is all a user needs.
@_exported import ScrimCore
@_exported import ScrimSpectral
@_exported import ScrimCleanup
@_exported import ScrimFiles
@_exported import ScrimNeural
@_exported import ScrimPlot

/// Scrim's version, as reported by `scrim --version`, in BWF Coding History lines and in JSON reports.
public let scrimVersion = "0.1.0"
