import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The reference library's reader: a path inside the folder only, no symbolic link anywhere on the way,
/// by the kernel's `openat2` and by the component walk alike.
@Suite struct ContainedFileTests {
    static let methods: [ContainedFile.Method] = [.openat2, .walk, .automatic]

    @Test(arguments: methods)
    func readsAFileInsideTheFolder(_ method: ContainedFile.Method) async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/lib/characters/mika.png", "mika")
            let bytes = try ContainedFile.read("characters/mika.png", in: dir + "/lib", limit: 100, method: method)
            #expect(String(decoding: bytes, as: UTF8.self) == "mika")
        }
    }

    @Test(arguments: methods)
    func refusesEveryWayOut(_ method: ContainedFile.Method) async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/secret.txt", "secret")
            try writeFile(dir + "/lib/places/cafe.png", "cafe")
            try writeFile(dir + "/elsewhere/mika.png", "outside")
            // A link to a file outside, a link to a file inside, a folder component that is a link.
            #expect(symlink(dir + "/secret.txt", dir + "/lib/secret.png") == 0)
            #expect(symlink("places/cafe.png", dir + "/lib/alias.png") == 0)
            #expect(symlink(dir + "/elsewhere", dir + "/lib/characters") == 0)
            #expect(symlink("places", dir + "/lib/inside") == 0)
            mkfifo(dir + "/lib/pipe.png", 0o644)
            let lib = dir + "/lib"
            func failure(_ path: String) -> ContainedFile.Failure? {
                do {
                    _ = try ContainedFile.read(path, in: lib, limit: 100, method: method)
                    return nil
                } catch {
                    return error
                }
            }
            #expect(failure("secret.png") == .link("secret.png"))
            #expect(failure("alias.png") == .link("alias.png"))
            #expect(failure("characters/mika.png") == .link("characters"))
            #expect(failure("inside/cafe.png") == .link("inside"))
            #expect(failure("../secret.txt") == .outside)
            #expect(failure("places/../../secret.txt") == .outside)
            #expect(failure(dir + "/secret.txt") == .outside)
            #expect(failure("places//cafe.png") == .outside)
            #expect(failure("./places/cafe.png") == .outside)
            #expect(failure("nothing.png") == .missing)
            #expect(failure("places/cafe.png/x") == .notFolder("places/cafe.png"))
            #expect(failure("pipe.png") == .notRegular(.fifo))
            #expect(failure("places") == .notRegular(.directory))
            try writeFile(dir + "/lib/big.png", String(repeating: "x", count: 101))
            #expect(failure("big.png") == .tooLarge(size: 101))
        }
    }

    @Test func aMissingFolderIsSaidAsSuch() async {
        await withTemporaryDirectory { dir in
            var failure: ContainedFile.Failure?
            do throws(ContainedFile.Failure) {
                _ = try ContainedFile.read("a.png", in: dir + "/none", limit: 10)
            } catch { failure = error }
            guard case .folder(let error)? = failure else {
                Issue.record("expected the folder's failure, got \(String(describing: failure))")
                return
            }
            #expect(error.errno == ENOENT)
        }
    }

    @Test func theFolderItselfIsFollowedOnlyWhenAsked() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/real/a.png", "a")
            #expect(symlink(dir + "/real", dir + "/lib") == 0)
            #expect(
                try ContainedFile.read("a.png", in: dir + "/lib", limit: 10, followFolderLink: true) == Array("a".utf8)
            )
            var failure: ContainedFile.Failure?
            do throws(ContainedFile.Failure) {
                _ = try ContainedFile.read("a.png", in: dir + "/lib", limit: 10, followFolderLink: false)
            } catch { failure = error }
            #expect(failure == .folderIsLink)
            #expect(
                try ContainedFile.read("a.png", in: dir + "/real", limit: 10, followFolderLink: false)
                    == Array("a".utf8)
            )
        }
    }
}
