import DropFolder
import GoogleGenAI
import ImageGeneration
import Outbox
import Spend
import SystemSupport

/// `scenedrop status`: what is where, and how old the oldest thing is.
package struct StatusReport: Codable, Sendable {
    package struct Folder: Codable, Sendable {
        package var path: String
        package var count: Int
        package var oldestAgeSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case path, count
            case oldestAgeSeconds = "oldest_age_seconds"
        }
    }

    package struct RecentSession: Codable, Sendable {
        package var session: String
        package var finishedAt: String
        package var scenes: Int
        package var fallbacks: Int
        package var costUSD: Double

        enum CodingKeys: String, CodingKey {
            case session
            case finishedAt = "finished_at"
            case scenes, fallbacks
            case costUSD = "cost_usd"
        }
    }

    /// A quarantined manifest: the name `scenedrop requeue` takes, and why it is there.
    package struct Quarantined: Codable, Sendable {
        package var name: String
        package var reason: String?
        package var message: String?
        package var quarantinedAt: String?

        enum CodingKeys: String, CodingKey {
            case name, reason, message
            case quarantinedAt = "quarantined_at"
        }
    }

    package struct Instance: Codable, Sendable {
        package var id: String
        package var alive: Bool
        package var claims: Int
        /// From its lease: where it runs, and its counter (which a live instance moves every --lease-renew).
        package var host: String?
        package var leaseCounter: UInt64?
        /// When it last renewed, by its own host's clock.
        package var leaseRenewedAt: String?

        enum CodingKeys: String, CodingKey {
            case id, alive, claims, host
            case leaseCounter = "lease_counter"
            case leaseRenewedAt = "lease_renewed_at"
        }
    }

    package var inbox: Folder
    package var work: Folder
    package var outbox: Folder
    package var quarantine: Folder
    package var instances: [Instance]
    package var lastSessions: [RecentSession]
    /// Every quarantined manifest, by name.
    package var quarantined: [Quarantined]
    /// Today's (UTC) spend from the ledger files (`.scenedrop/ledger/`).
    package var spentTodayUSD: Double
    /// Models retired until their daily quota resets, with when they return.
    package var retiredModels: [RetiredModels.Entry]
    /// Batch jobs sessions wait for (`.scenedrop/batches/`), oldest first.
    package var batchJobs: [BatchJobStatus]
    /// Set when the inbox's path no longer names the folder a running instance opened at start (a link or
    /// another folder swapped in): that instance takes no file from it, and is not ready.
    package var inboxChanged: String?

    /// One batch job: its session, the API's name (nil while being submitted), last state and age.
    package struct BatchJobStatus: Codable, Sendable, Equatable {
        package var session: String
        package var job: String?
        package var state: String
        package var scenes: Int
        package var model: String
        package var submittedAt: String
        package var ageSeconds: Double

        enum CodingKeys: String, CodingKey {
            case session, job, state, scenes, model
            case submittedAt = "submitted_at"
            case ageSeconds = "age_seconds"
        }

        static func list(_ records: [BatchRecord], now: Double) -> [BatchJobStatus] {
            records.flatMap { record in
                record.jobs.map { job in
                    BatchJobStatus(
                        session: record.session,
                        job: job.name,
                        state: job.state,
                        scenes: job.scenes.count,
                        model: record.model,
                        submittedAt: record.submittedAt,
                        ageSeconds: max(0, now - record.submitted)
                    )
                }
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case inbox, work, outbox, quarantine, instances
        case lastSessions = "last_sessions"
        case quarantined
        case spentTodayUSD = "spent_today_usd"
        case retiredModels = "retired_models"
        case batchJobs = "batch_jobs"
        case inboxChanged = "inbox_changed"
    }

    /// Fails when the inbox cannot be listed (most often: it does not exist, so `--root` is wrong):
    /// an empty report would read as a healthy, idle root.
    package static func gather(_ layout: Layout, now: Double, recent: Int = 5) throws(SystemError) -> StatusReport {
        func folder(_ path: String, _ mtimes: [Double]) -> Folder {
            Folder(path: path, count: mtimes.count, oldestAgeSeconds: mtimes.min().map { max(0, now - $0) })
        }
        let inboxTimes = try InboxScanner.waitingSince(layout.inbox)

        var workTimes: [Double] = []
        var instances: [Instance] = []
        var openedInboxes: [(instance: String, identity: String)] = []
        for entry in (try? FileSystem.list(layout.work)) ?? [] where entry.name.hasSuffix(".lock") {
            let id = String(entry.name.dropLast(5))
            let files = (try? FileSystem.list(layout.work + "/" + id)) ?? []
            for file in files {
                if let info = try? FileSystem.info(layout.work + "/" + id + "/" + file.name) {
                    workTimes.append(info.mtimeSeconds)
                }
            }
            let lease = Lease.read(WorkArea.leasePath(id, workRoot: layout.work))
            if let identity = lease?.inboxIdentity, WorkArea.isAlive(id, workRoot: layout.work) {
                openedInboxes.append((id, identity))
            }
            instances.append(
                Instance(
                    id: id,
                    alive: WorkArea.isAlive(id, workRoot: layout.work),
                    claims: files.count,
                    host: lease?.host,
                    leaseCounter: lease?.counter,
                    leaseRenewedAt: lease?.renewedAt
                )
            )
        }

        let sessions = PublishedSessions.newestFirst(in: layout.outbox)
        let recentSessions: [RecentSession] = sessions.prefix(recent).compactMap { name, _ in
            guard
                let bytes = try? FileSystem.readRegularFile(
                    layout.outbox + "/" + name + "/session.json",
                    limit: 16 << 20
                ),
                let meta = try? MetadataCoding.decode(SessionMetadata.self, from: bytes)
            else { return nil }
            return RecentSession(
                session: meta.session,
                finishedAt: meta.finishedAt,
                scenes: meta.totals.scenes,
                fallbacks: meta.totals.fallbacks,
                costUSD: meta.totals.costUSD
            )
        }
        let quarantined = Quarantine(directory: layout.quarantine).entries()
        let current = DirectoryHandle.identity(of: layout.inbox)
        let changed = openedInboxes.first { $0.identity != current }.map { opened in
            "\(layout.inbox) is not the folder instance \(opened.instance) opened at start (device:inode \(opened.identity), now \(current ?? "nothing"))"
        }
        return StatusReport(
            inbox: folder(layout.inbox, inboxTimes),
            work: folder(layout.work, workTimes),
            outbox: folder(layout.outbox, sessions.map(\.completed)),
            quarantine: folder(layout.quarantine, quarantined.map(\.quarantinedSince)),
            instances: instances,
            lastSessions: recentSessions,
            quarantined: quarantined.map {
                Quarantined(
                    name: $0.name,
                    reason: $0.report?.reason,
                    message: $0.report?.message,
                    quarantinedAt: $0.report?.quarantinedAt
                )
            },
            spentTodayUSD: CostLedger.spentToday(files: CostLedger.files(in: layout.ledger), now: now),
            retiredModels: RetiredModels.read(layout.retiredModels, now: now),
            batchJobs: BatchJobStatus.list(BatchStore(directory: layout.batches).all(), now: now),
            inboxChanged: changed
        )
    }
}
