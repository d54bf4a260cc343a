// Shared by the loop files of CScrimVector (not part of the module's public header).
#ifndef SCRIM_VECTOR_LOOPS_H
#define SCRIM_VECTOR_LOOPS_H

#include <stdint.h>
#include <string.h>

// No fused multiply-adds: the AVX2 and AVX-512 clones must round exactly as the SSE2 one (and as the Swift
// reference these loops came from) does.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__) && !defined(SCRIM_SINGLE_TARGET)
// One clone per x86-64 micro-architecture level (x86-64 psABI: v3 = AVX2 + FMA, v4 = AVX-512); the dynamic
// linker picks one once, on load. SCRIM_SINGLE_TARGET builds one copy for the compiler's -march instead, as
// Benchmarks/scripts/clone_equality.sh does to compare the copies' results.
#define SCRIM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SCRIM_CLONES
#endif

// Swift's min and max, operand order included (so NaN and signed zeros pick the same operand).
#define SWIFT_MIN(x, y) ((y) < (x) ? (y) : (x))
#define SWIFT_MAX(x, y) ((y) >= (x) ? (y) : (x))

static inline uint32_t bits_of(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline uint64_t bits_of_double(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline float float_of(uint32_t b) {
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

#endif
