/// Filesystems whose remote changes inotify cannot see (inotify(7)): on these the rescan is the
/// only reliable way to notice a drop made by another client.
package enum FilesystemKind: Sendable, Equatable, CustomStringConvertible {
    case local
    case network(String)

    package init(statfsType type: Int) {
        switch UInt32(truncatingIfNeeded: type) {
        case 0x6969: self = .network("nfs")
        case 0xFF53_4D42: self = .network("cifs")
        case 0xFE53_4D42: self = .network("smb2")
        case 0x517B: self = .network("smb")
        case 0x0102_1997: self = .network("9p")
        case 0x6573_5546: self = .network("fuse")
        default: self = .local
        }
    }

    package var isNetwork: Bool {
        if case .network = self { return true }
        return false
    }

    package var description: String {
        switch self {
        case .local: return "local"
        case .network(let name): return name
        }
    }
}
