#!/usr/bin/env bash
# DeepFilterNet3 speed per 10 ms hop in a release build (Tests/ScrimNeuralTests/DeepFilterNet3SpeedTests.swift):
# hop by hop, batched at maximumBatch 8/16/32/64 (checking the batched output equals the hop-by-hop output bit for
# bit), and the bare STFT round trip (DFNFrontEnd analysis + DFNBackEnd synthesis, unit gains), each the best of
# three runs over 10 s of audio, with × real time for one channel on one core. Needs the model installed
# (scripts/fetch-model.sh). Prints the "speed:" lines.
#
#   bash Benchmarks/neural/speed.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --build-tests -Xswiftc -enable-testing
SCRIM_NEURAL_SPEED=1 swift test -c release -Xswiftc -enable-testing --skip-build \
    --filter DeepFilterNet3SpeedTests 2>&1 | grep -E "^speed:|✘|error" 
