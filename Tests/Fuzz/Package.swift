// swift-tools-version: 6.1
// libFuzzer target over Scrim's RIFF/RF64/BW64 parser, AudioFileReader's header and read path and the bext/iXML
// metadata parsers. Not part of the root package: build and run it with Tests/Fuzz/run.sh (see README.md).
//
// The sanitizers (`--sanitize fuzzer --sanitize address`) come from the command line, so they instrument the
// root package's targets (ScrimFiles, ScrimCore, CScrimVector, …) as well as this one.

import PackageDescription

let package = Package(
    name: "ScrimFuzz",
    dependencies: [
        .package(name: "Scrim", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "ScrimFuzz",
            dependencies: [.product(name: "Scrim", package: "Scrim")],
            // libFuzzer supplies main(); the target defines only LLVMFuzzerTestOneInput.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
