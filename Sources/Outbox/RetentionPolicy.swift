/// Which outbox sessions, quarantine entries, cache files and staging leftovers to remove.
/// Pure: the cleaner gathers facts, this decides, and tests drive it with fixed times.
package struct RetentionPolicy: Sendable {
    package enum Kind: String, Sendable, Codable {
        case session, quarantine, cache, staging
    }

    package struct Item: Sendable, Equatable {
        package var kind: Kind
        package var name: String
        /// Seconds since the epoch of the timestamp that ages the item (for a session, its
        /// session.json mtime: the moment it was completed).
        package var modified: Double
        /// A `.keep` file pins a session.
        package var pinned: Bool = false
        /// A live instance still owns it (staging).
        package var busy: Bool = false
        /// Why the item cannot be aged at all (a link, not a SceneDrop session…), if so.
        package var unmanaged: String?

        package init(
            kind: Kind,
            name: String,
            modified: Double,
            pinned: Bool = false,
            busy: Bool = false,
            unmanaged: String? = nil
        ) {
            self.kind = kind
            self.name = name
            self.modified = modified
            self.pinned = pinned
            self.busy = busy
            self.unmanaged = unmanaged
        }
    }

    package enum Decision: Sendable, Equatable {
        case remove
        case keep(String)
    }

    /// Maximum ages in seconds; `nil` keeps that kind forever.
    package var sessionMaxAge: Double?
    package var quarantineMaxAge: Double?
    package var cacheMaxAge: Double?

    package init(sessionMaxAge: Double?, quarantineMaxAge: Double?, cacheMaxAge: Double?) {
        self.sessionMaxAge = sessionMaxAge
        self.quarantineMaxAge = quarantineMaxAge
        self.cacheMaxAge = cacheMaxAge
    }

    package func decide(_ item: Item, now: Double) -> Decision {
        if let reason = item.unmanaged { return .keep(reason) }
        if item.busy { return .keep("in use by a running instance") }
        if item.pinned { return .keep("pinned by .keep") }
        let limit: Double?
        switch item.kind {
        case .session: limit = sessionMaxAge
        case .quarantine: limit = quarantineMaxAge
        case .cache: limit = cacheMaxAge
        // A staging folder whose instance is gone can never be published: it is always leftover.
        case .staging: return .remove
        }
        guard let limit else { return .keep("no age limit set") }
        // A timestamp in the future (clock skew on a shared volume) counts as new, never as old.
        let age = now - item.modified
        return age > limit ? .remove : .keep("younger than the limit")
    }
}
