import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A tool run to completion; -1 when it could not run.
private func run(_ tool: String, _ arguments: [String]) -> Int32 {
    (try? ChildProcess.run(tool, arguments, timeout: .seconds(60))) ?? -1
}

/// Other users and a group are stood for by numeric ids no account uses (setpriv needs no account for them,
/// so /etc/passwd is never touched, which another test watches): that needs root.
private let canActAsOthers: Bool = getuid() == 0 && (try? Tool.path("setpriv")) != nil

/// A shared volume's group (issue 21, point 9): an administrator made the root `root:editors 2775`; the daemon
/// runs as a member of `editors` with `UMask=0002`, as the unit file sets.
@Suite(.serialized) struct SharedGroupTests {
    @Test(.enabled(if: canActAsOthers, "needs root and setpriv to act as another user of a shared group"))
    func foldersKeepTheSharedGroupAndItsMembersCanRemoveSessions() async throws {
        // editors, the daemon's user and an editor: ids no account here uses; each user's own group is another.
        let (groupID, daemonUser, editor, ownGroup): (gid_t, uid_t, uid_t, gid_t) = (61_730, 61_731, 61_732, 61_733)
        try await withTemporaryDirectory { dir in
            chmod(dir, 0o755)
            let root = dir + "/root"
            try FileSystem.makeDirectories(root)
            #expect(chown(root, 0, groupID) == 0)
            #expect(chmod(root, 0o2775) == 0)

            // As the daemon's user, with its umask: one session published, one manifest quarantined.
            let script = "umask 0002; exec \"$0\" process --root \"$1\" --settle 0s"
            try writeFile(dir + "/ok.json", manifestJSON(session: "shared"))
            try writeFile(dir + "/bad.json", "{ not json")
            let asDaemon = [
                "--reuid=\(daemonUser)", "--regid=\(ownGroup)", "--groups=\(groupID)", "sh", "-c", script,
                SceneDropProcess.binary, root,
            ]
            // The daemon user creates the inbox, then the files are dropped into it (by root, who keeps the group).
            _ = run("setpriv", asDaemon)
            #expect(FileSystem.exists(root + "/inbox"))
            try FileSystem.rename(dir + "/ok.json", root + "/inbox/ok.json")
            try FileSystem.rename(dir + "/bad.json", root + "/inbox/bad.json")
            _ = run("setpriv", asDaemon)
            #expect(FileSystem.exists(root + "/outbox/shared/session.json"))
            #expect(FileSystem.exists(root + "/quarantine/bad.json.error.json"))

            for folder in ["inbox", "outbox", "outbox/.staging", "quarantine", ".scenedrop", "outbox/shared"] {
                var st = stat()
                #expect(stat(root + "/" + folder, &st) == 0)
                #expect(st.st_mode & S_ISGID != 0, "\(folder) lost the setgid bit")
                #expect(st.st_gid == groupID, "\(folder) is not in the shared group")
                #expect(st.st_mode & 0o070 == 0o070, "\(folder) is not group-writable")
            }
            for file in ["outbox/shared/scene-001.png", "outbox/shared/session.json", "quarantine/bad.json.error.json"]
            {
                var st = stat()
                #expect(stat(root + "/" + file, &st) == 0)
                #expect(st.st_gid == groupID, "\(file) is not in the shared group")
            }
            // An editor of the group removes a published session and a quarantine entry.
            let asEditor = ["--reuid=\(editor)", "--regid=\(ownGroup)", "--groups=\(groupID)"]
            #expect(run("setpriv", asEditor + ["rm", "-rf", root + "/outbox/shared"]) == 0)
            #expect(!FileSystem.exists(root + "/outbox/shared"))
            #expect(
                run(
                    "setpriv",
                    asEditor + ["rm", "-f", root + "/quarantine/bad.json", root + "/quarantine/bad.json.error.json"]
                ) == 0
            )
            #expect(listNames(root + "/quarantine").isEmpty)
        }
    }
}
