import Foundation
import Scrim

/// Must equal SCRIM_ABI_VERSION in include/scrim.h.
let abiVersion: Int32 = 2

/// Scrim's version as a static C string (never freed).
nonisolated(unsafe) private let versionCString: UnsafeMutablePointer<CChar> = strdup(scrimVersion)

@_cdecl("scrim_version")
public func scrim_version() -> UnsafePointer<CChar> { UnsafePointer(versionCString) }

@_cdecl("scrim_abi_version")
public func scrim_abi_version() -> Int32 { abiVersion }

@_cdecl("scrim_last_error")
public func scrim_last_error() -> UnsafePointer<CChar>? { lastError().pointer }

@_cdecl("scrim_string_free")
public func scrim_string_free(_ string: UnsafeMutablePointer<CChar>?) { free(string) }
