import CVipsShim
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one door to libvips. libvips is thread-safe once started; start it once per process.
enum Vips {
    private static let started = Mutex<Bool?>(nil)

    static func start() throws(ImagingError) {
        let ok = started.withLock { state -> Bool in
            if let state { return state }
            let result = sdvips_init(CommandLine.arguments.first ?? "scenedrop") == 0
            state = result
            return result
        }
        if !ok { throw ImagingError(code: .initFailed, message: "libvips failed to start: \(takeError())") }
    }

    /// libvips keeps errors in a process-wide buffer; take it right after the failing call.
    static func takeError() -> String {
        guard let raw = sdvips_take_error() else { return "unknown libvips error" }
        defer { sdvips_free(raw) }
        let text = String(cString: raw).trimmingCharacters(in: "\n ")
        return text.isEmpty ? "unknown libvips error" : text
    }

    /// Copies a libvips-owned buffer into Swift memory and frees it.
    static func adopt(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8] {
        guard let pointer else { return [] }
        defer { sdvips_free(pointer) }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s.split(separator: "\n").joined(separator: "; "))
    }
}
