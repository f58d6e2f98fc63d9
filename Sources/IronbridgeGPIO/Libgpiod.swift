/// The libgpiod backend this build was compiled for. Package.swift asks pkg-config for
/// libgpiod's version and compiles V1/ (libgpiod 1.x: Debian 12, Raspberry Pi OS 12) or V2/
/// (libgpiod 2.x: Debian 13, Raspberry Pi OS 13); the rest of the gateway sees only this name.
#if LIBGPIOD_V2
public typealias LibgpiodBackend = GPIOBackendV2
#else
public typealias LibgpiodBackend = GPIOBackendV1
#endif

extension LibgpiodBackend {
    /// The libgpiod API generation compiled in: 1 or 2.
    public static var apiVersion: Int {
        #if LIBGPIOD_V2
        2
        #else
        1
        #endif
    }
}
