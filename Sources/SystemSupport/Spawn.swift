import CSystemShim

#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn for the programs SceneDrop's tests and benchmark run: the child gets a process group
/// of its own (so it and whatever it starts can be signalled together), an empty signal mask and
/// default dispositions (a parent's blocked or ignored signals are not handed on), standard input
/// from /dev/null, and no other descriptor of this process.
package enum Spawn {
    package enum Output: Sendable {
        case inherit
        case null
        /// Appended to (created if missing).
        case file(String)
        /// A pipe whose read end is returned.
        case pipe
    }

    package struct Started: Sendable {
        package var pid: pid_t
        /// Read ends of `.pipe` outputs (close-on-exec), owned by the caller.
        package var stdout: Int32?
        package var stderr: Int32?
    }

    package static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        stdout: Output,
        stderr: Output
    ) throws(SystemError) -> Started {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        )

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var readEnds: [Int32] = []
        var writeEnds: [Int32] = []
        defer { for fd in writeEnds { close(fd) } }
        func route(_ output: Output, to fd: Int32) throws(SystemError) -> Int32? {
            switch output {
            case .inherit:
                return nil
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
                return nil
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                return nil
            case .pipe:
                var ends: [Int32] = [0, 0]
                guard csys_pipe_cloexec(&ends) == 0 else { throw .current("pipe2") }
                // dup2 clears close-on-exec on the child's copy; the originals close at exec.
                posix_spawn_file_actions_adddup2(&actions, ends[1], fd)
                readEnds.append(ends[0])
                writeEnds.append(ends[1])
                return ends[0]
            }
        }
        let out = try route(stdout, to: 1)
        let err = try route(stderr, to: 2)
        // An inherited pipe end would keep some reader from ever seeing end of file.
        csys_spawn_closefrom(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { args in
            (envp + [nil]).withUnsafeBufferPointer { env in
                posix_spawn(&pid, executable, &actions, &attributes, args.baseAddress!, env.baseAddress!)
            }
        }
        guard result == 0 else {
            for fd in readEnds { close(fd) }
            throw SystemError(errno: result, call: "posix_spawn", paths: [executable])
        }
        return Started(pid: pid, stdout: out, stderr: err)
    }
}
