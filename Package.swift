// swift-tools-version: 6.1
// Scrim: audio cleanup for production sound (noise reduction, de-hum, loudness) on FFTW, libsndfile and libsoxr.
//
// Imports point down only (see ../shared/DESIGN.md):
//   scrim (CLI) ─▶ Scrim ─▶ ScrimCleanup ─▶ ScrimSpectral ─▶ ScrimCore
//                        ├▶ ScrimPlot ────▶ ScrimSpectral
//                        └▶ ScrimFiles ─────────────────────▶ ScrimCore
// CFFTW and CSoxr (libsoxr, the resampler) are imported by ScrimSpectral only; CSndFile by ScrimFiles only; CPNG
// (libpng, the pictures) by ScrimPlot only. ScrimPlot draws from arrays handed to it and knows no audio files.
// CScrimVector (the hot loops in C, cloned per CPU level) is a leaf under ScrimSpectral, ScrimCleanup, ScrimFiles
// and ScrimNeural. ScrimNeural (the DeepFilterNet3 network on Scrim's own kernels, `denoise --engine neural`) sits
// on ScrimSpectral and CScrimVector beside ScrimCleanup, under Scrim.

import PackageDescription

let package = Package(
    name: "Scrim",
    products: [
        .library(name: "Scrim", targets: ["Scrim"]),
        .executable(name: "scrim", targets: ["scrim"]),
        // The C API for orchestrators: libCScrim.so with the soname libscrim.so (see Sources/CScrim/include/scrim.h).
        .library(name: "CScrim", type: .dynamic, targets: ["CScrim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFTW",
            pkgConfig: "fftw3f",
            providers: [.apt(["libfftw3-dev"])]
        ),
        // libsoxr, the SoX Resampler library: ScrimSpectral's Resampler and ResamplingProcessor.
        .systemLibrary(
            name: "CSoxr",
            pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]
        ),
        // libpng: ScrimPlot's PNG encoder and decoder (the simplified png_image API).
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        .systemLibrary(
            name: "CSndFile",
            pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"])]
        ),
        .target(name: "ScrimCore"),
        .target(
            name: "ScrimSpectral", dependencies: ["ScrimCore", "CFFTW", "CSoxr", "CScrimVector"], exclude: ["README.md"]
        ),
        // Hot loops in C (noise reducer, real FFT twiddles, STFT, sample encoder), cloned per x86-64 level (SSE2,
        // AVX2, AVX-512) and picked at load time; the same results on every CPU (Sources/CScrimVector/include).
        .target(name: "CScrimVector"),
        .target(name: "ScrimCleanup", dependencies: ["ScrimCore", "ScrimSpectral", "CScrimVector"]),
        .target(name: "ScrimFiles", dependencies: ["ScrimCore", "CSndFile", "CScrimVector"]),
        .target(
            name: "ScrimNeural", dependencies: ["ScrimCore", "ScrimSpectral", "CScrimVector"],
            exclude: ["DFN3-tensors.txt"]
        ),
        .target(name: "ScrimPlot", dependencies: ["ScrimCore", "ScrimSpectral", "CPNG"]),
        .target(
            name: "Scrim",
            dependencies: ["ScrimCore", "ScrimSpectral", "ScrimCleanup", "ScrimFiles", "ScrimNeural", "ScrimPlot"]
        ),
        .target(
            name: "CScrim",
            dependencies: ["Scrim"],
            exclude: ["include"],
            // Installed and linked as libscrim.so (a product cannot share the name of the `scrim` executable).
            linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libscrim.so"])]
        ),
        .executableTarget(
            name: "scrim",
            dependencies: ["Scrim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The JSON Schemas of every command's output and the generated manual page (scripts/make-man.sh).
            exclude: ["README.md", "schemas", "scrim.1"]
        ),
        .testTarget(name: "ScrimCoreTests", dependencies: ["ScrimCore"]),
        .testTarget(name: "ScrimSpectralTests", dependencies: ["ScrimSpectral"]),
        .testTarget(name: "ScrimCleanupTests", dependencies: ["ScrimCleanup"]),
        .testTarget(name: "ScrimFilesTests", dependencies: ["ScrimFiles"]),
        .testTarget(name: "ScrimNeuralTests", dependencies: ["ScrimNeural"]),
        .testTarget(name: "ScrimPlotTests", dependencies: ["ScrimPlot"]),
        .testTarget(name: "ScrimTests", dependencies: ["Scrim"]),
        .testTarget(name: "ScrimCLITests", dependencies: ["scrim"]),
    ]
)
