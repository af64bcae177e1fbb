import Foundation
import SystemSupport

/// Runs `body` with a fresh directory that is removed afterwards (links inside are not followed).
package func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async rethrows -> T {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array((base + "/scenedrop-test-XXXXXX").utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let result = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed") }
        return String(cString: result)
    }
    // Removed on a thread of its own: a tree of thousands of files (the inotify overflow test) takes
    // seconds to delete, which on the cooperative pool's two threads stalls every other test.
    let result: T
    do {
        result = try await body(path)
    } catch {
        _ = try? await onOwnThread { try FileSystem.removeTree(path) }
        throw error
    }
    _ = try? await onOwnThread { try FileSystem.removeTree(path) }
    return result
}

/// Writes a whole file (creating parent folders), replacing what was there.
package func writeFile(_ path: String, _ text: String) throws {
    try writeFile(path, Array(text.utf8))
}

package func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try FileSystem.makeDirectories(FileSystem.parentPath(path))
    try? FileSystem.unlinkFile(path)
    try FileSystem.createFile(path, bytes: bytes, sync: false)
}

/// Writes under a hidden temporary name and renames into place, as rsync and careful tools do.
package func dropFile(_ path: String, _ text: String) throws {
    let temp = FileSystem.parentPath(path) + "/." + FileSystem.baseName(path) + ".part"
    try writeFile(temp, text)
    try FileSystem.rename(temp, path)
}

package func readFile(_ path: String) -> [UInt8]? {
    try? FileSystem.readRegularFile(path, limit: 64 << 20)
}

package func readText(_ path: String) -> String? {
    readFile(path).map { String(decoding: $0, as: UTF8.self) }
}

/// Names in a folder, without dot names unless asked.
package func listNames(_ path: String, hidden: Bool = false) -> [String] {
    ((try? FileSystem.list(path)) ?? []).map(\.name).filter { hidden || !$0.hasPrefix(".") }.sorted()
}

/// A one-scene manifest, small by default so tests stay fast.
package func manifestJSON(
    session: String,
    scenes: Int = 1,
    width: Int = 320,
    height: Int = 180,
    prompt: String = "A test scene"
) -> String {
    let list = (1...scenes).map { "{\"scene_number\": \($0), \"image_create_prompt\": \"\(prompt) \($0)\"}" }.joined(
        separator: ", "
    )
    return "{\"session\": \"\(session)\", \"width\": \(width), \"height\": \(height), \"scenes\": [\(list)]}"
}

/// Claims still held in `root`'s work folders, by any instance.
package func claimsInWork(_ root: String) -> Int {
    listNames(root + "/.scenedrop/work").filter { !$0.hasSuffix(".lock") }.reduce(0) {
        $0 + listNames(root + "/.scenedrop/work/" + $1, hidden: true).count
    }
}
