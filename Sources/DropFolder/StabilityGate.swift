import SystemSupport

/// Decides when a file found by a rescan (no close event) is finished: it must show the same
/// size and mtime across the settle interval. A pure policy: the caller supplies observations
/// and the time, so it is tested with a hand-driven clock.
package struct StabilityGate: Sendable {
    package struct Observation: Sendable, Equatable {
        package var size: Int64
        package var mtimeNanoseconds: Int64
        package var inode: UInt64

        package init(size: Int64, mtimeNanoseconds: Int64, inode: UInt64) {
            self.size = size
            self.mtimeNanoseconds = mtimeNanoseconds
            self.inode = inode
        }

        /// What `lstat` (or `fstat`) said of a file.
        package init(_ info: FileInfo) {
            self.init(size: info.size, mtimeNanoseconds: info.mtimeNanoseconds, inode: info.inode)
        }
    }

    package enum Decision: Sendable, Equatable {
        /// Unchanged across the settle interval: take it.
        case stable
        /// Look again at (or after) this time.
        case recheck(at: Double)
    }

    package let settle: Double
    private var first: [RawName: (Observation, Double)] = [:]

    /// - Parameter settle: seconds a file must stay unchanged.
    package init(settle: Double) {
        self.settle = settle
    }

    /// Records one observation of `name` at `now` (seconds) and says what to do.
    package mutating func observe(_ name: RawName, _ observation: Observation, now: Double) -> Decision {
        if let (previous, since) = first[name], previous == observation {
            if now - since >= settle {
                first[name] = nil
                return .stable
            }
            return .recheck(at: since + settle)
        }
        // New, or changed since last time: the settle interval starts again.
        first[name] = (observation, now)
        return .recheck(at: now + settle)
    }

    /// Forgets a name (claimed, or gone).
    package mutating func forget(_ name: RawName) {
        first[name] = nil
    }

    /// Forgets every name not in `present` (files that disappeared between scans).
    package mutating func retain(only present: Set<RawName>) {
        first = first.filter { present.contains($0.key) }
    }

    package var trackedCount: Int { first.count }
}
