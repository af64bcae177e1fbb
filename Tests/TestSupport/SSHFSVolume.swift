import Foundation
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// One folder mounted several times with sshfs through a private sshd on loopback: each mount stands
/// for one host's view of a shared network volume (FUSE mounts share no locks, cache directory listings
/// and attributes, and refuse RENAME_NOREPLACE and RENAME_EXCHANGE, as sshfs does between real hosts).
package final class SSHFSVolume: @unchecked Sendable {
    /// The folder itself, as the server has it: writing here is "another client" to every mount.
    package let shared: String
    package let mounts: [String]
    private let sshd: ChildProcess
    private var sshfs: [ChildProcess] = []

    /// Why sshfs volumes cannot be made here, or nil when they can.
    package static var unavailable: String? {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            return "no /dev/fuse here (FUSE is not available to this machine or container)"
        }
        for tool in ["sshfs", "ssh-keygen", "fusermount3"] where (try? Tool.path(tool)) == nil {
            return
                "\(tool) is not installed (Debian package \(Tool.packages[tool] ?? tool); .ci/setup test installs it)"
        }
        guard access("/usr/sbin/sshd", X_OK) == 0 else {
            return "sshd is not installed (Debian package openssh-server; .ci/setup test installs it)"
        }
        return nil
    }

    private init(shared: String, mounts: [String], sshd: ChildProcess) {
        self.shared = shared
        self.mounts = mounts
        self.sshd = sshd
    }

    /// Makes `dir/shared` and mounts it `count` times at `dir/mount-1`… through an sshd on a free port,
    /// with sshfs's own `options` (e.g. `cache=no`) on top of its defaults.
    package static func start(
        in dir: String,
        mounts count: Int,
        options extra: [String] = []
    ) async throws -> SSHFSVolume {
        let keys = dir + "/ssh"
        try FileSystem.makeDirectories(keys, mode: 0o700)
        try FileSystem.makeDirectories(dir + "/shared")
        try FileSystem.makeDirectories("/run/sshd", mode: 0o755)
        for key in ["host_key", "client_key"] {
            let keygen = try ChildProcess(
                "ssh-keygen",
                ["-q", "-t", "ed25519", "-N", "", "-f", keys + "/" + key],
                stdout: .null,
                stderr: .null
            )
            guard try await keygen.wait(timeout: .seconds(30)) == 0 else { throw SetupFailed(what: "ssh-keygen") }
        }
        try FileSystem.createFile(
            keys + "/authorized_keys",
            bytes: readFile(keys + "/client_key.pub") ?? [],
            mode: 0o600,
            sync: false
        )
        let port = try freePort()
        try writeFile(
            keys + "/sshd_config",
            """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(keys)/host_key
            AuthorizedKeysFile \(keys)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PidFile none
            Subsystem sftp internal-sftp

            """
        )
        let sshd = try ChildProcess(
            "/usr/sbin/sshd",
            ["-D", "-e", "-f", keys + "/sshd_config"],
            stdout: .null,
            stderr: .file(dir + "/sshd.log")
        )
        let volume = SSHFSVolume(shared: dir + "/shared", mounts: (1...count).map { dir + "/mount-\($0)" }, sshd: sshd)
        do {
            try await waitUntil("sshd listening on 127.0.0.1:\(port)") { canConnect(port: port) }
            let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
            for mount in volume.mounts {
                try FileSystem.makeDirectories(mount)
                let options =
                    ([
                        "port=\(port)", "IdentityFile=\(keys)/client_key", "StrictHostKeyChecking=no",
                        "UserKnownHostsFile=/dev/null", "BatchMode=yes",
                    ] + extra)
                    .joined(separator: ",")
                volume.sshfs.append(
                    try ChildProcess(
                        "sshfs",
                        ["-f", "-o", options, "\(user)@127.0.0.1:\(volume.shared)", mount],
                        stdout: .null,
                        stderr: .file(mount + ".log")
                    )
                )
                try await waitUntil("\(mount) mounted") { isMounted(mount) }
            }
        } catch {
            await volume.stop()
            throw error
        }
        return volume
    }

    /// Unmounts every mount and stops the servers.
    package func stop() async {
        for mount in mounts where Self.isMounted(mount) {
            if let unmount = try? ChildProcess("fusermount3", ["-u", "-z", mount], stdout: .null, stderr: .null) {
                _ = try? await unmount.wait(timeout: .seconds(30))
            }
        }
        for process in sshfs { await process.stop(grace: .seconds(5)) }
        await sshd.stop(grace: .seconds(5))
    }

    static func isMounted(_ path: String) -> Bool {
        let mounts = String(
            decoding: (try? FileSystem.readRegularFile("/proc/self/mounts", limit: 1 << 22)) ?? [],
            as: UTF8.self
        )
        return mounts.split(separator: "\n").contains {
            $0.split(separator: " ").dropFirst().first.map(String.init) == path
        }
    }

    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw SetupFailed(what: "a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    struct SetupFailed: Error, CustomStringConvertible {
        var what: String
        var description: String { "could not set up the sshfs volume: \(what)" }
    }
}

/// Runs `body` with a fresh sshfs volume of `mounts` mounts, stopped (unmounted) afterwards.
package func withSSHFSVolume<Result>(
    mounts: Int,
    options: [String] = [],
    _ body: (SSHFSVolume) async throws -> Result
) async throws -> Result {
    try await withTemporaryDirectory { dir in
        try await withStarted(
            { try await SSHFSVolume.start(in: dir, mounts: mounts, options: options) },
            stop: { await $0.stop() },
            body
        )
    }
}
