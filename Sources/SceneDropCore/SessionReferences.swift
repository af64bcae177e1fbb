import ImageGeneration
import Imaging
import Logging
import Outbox
import SceneManifest
import SystemSupport

/// The reference library files of one session (contract §7): each read once, without following any symbolic
/// link, hashed, checked and brought within 1536 px once, then shared by every scene that names it. Reading
/// runs on the I/O threads and fitting in the session's CPU turn, never on the cooperative pool.
struct SessionReferences: Sendable {
    /// By the manifest's name.
    var images: [String: ReferenceImage] = [:]
    /// session.json's `references`, in the manifest's order.
    var map = SessionMetadata.ReferenceMap()

    /// Where the files are: the folder, and whether its own path may be a symbolic link (only when
    /// `--references` or `SCENEDROP_REFERENCES` named it).
    struct Library: Sendable {
        var path: String
        var followLink: Bool
    }

    /// What is wrong with one reference's file, for its `missing_reference` issue.
    struct Problem: Error {
        var message: String
    }

    /// Every reference of `manifest` from `library`, or the manifest's `missing_reference` error naming every
    /// file that could not be used (nothing has been sent). Nil when cancelled.
    static func load(
        _ manifest: Manifest,
        library: Library,
        session: String,
        logger: Logger
    ) async -> Result<SessionReferences, ManifestError>? {
        var loaded = SessionReferences()
        var issues: [ManifestIssue] = []
        // Two names for one file: read and fitted once all the same.
        var done: [String: (sha256: String, image: ImageFitter.Fitted)] = [:]
        for reference in manifest.references {
            let file = reference.file
            if let (sha256, image) = done[file] {
                loaded.add(reference, sha256: sha256, image: image)
                continue
            }
            let bytes: [UInt8]
            switch await WorkerThreads.io.run({ read(file, from: library) }) {
            case .success(let read): bytes = read
            case .failure(let problem):
                issues.append(issue(reference, problem))
                continue
            }
            // The hash of up to 20 MB and the decode both on the CPU threads.
            guard let fitted = await ProviderPhases.cpuUnlessCancelled(key: session, { fit(bytes, file, library) })
            else { return nil }
            switch fitted {
            case .success(let (sha256, image)):
                logger.debug(
                    "reference loaded",
                    metadata: [
                        "scenedrop.reference": "\(reference.name)", "scenedrop.reference_file": "\(file)",
                        "scenedrop.bytes": "\(bytes.count)", "scenedrop.sent_bytes": "\(image.bytes.count)",
                        "scenedrop.sent_size": "\(image.width)x\(image.height)",
                    ]
                )
                done[file] = (sha256, image)
                loaded.add(reference, sha256: sha256, image: image)
            case .failure(let problem):
                issues.append(issue(reference, problem))
            }
        }
        guard issues.isEmpty else { return .failure(ManifestError(reason: .missingReference, issues: issues)) }
        return .success(loaded)
    }

    mutating func add(_ reference: Manifest.Reference, sha256: String, image: ImageFitter.Fitted) {
        images[reference.name] = ReferenceImage(
            name: reference.name,
            file: reference.file,
            kind: reference.kind,
            description: reference.description,
            sha256: sha256,
            image: APIReference(
                bytes: image.bytes,
                mimeType: image.mimeType,
                fileName: reference.name + "." + image.format.fileExtension
            )
        )
        map.entries.append(
            (
                reference.name,
                .init(
                    file: reference.file,
                    kind: reference.kind.rawValue,
                    description: reference.description,
                    sha256: sha256
                )
            )
        )
    }

    /// `scenedrop validate`: each file of the manifest's references read and decoded as a session would, every
    /// problem located. Blocking I/O and CPU.
    static func problems(_ manifest: Manifest, library: Library) -> [ManifestIssue] {
        manifest.references.compactMap { reference in
            let checked = read(reference.file, from: library).flatMap { fit($0, reference.file, library) }
            guard case .failure(let problem) = checked else { return nil }
            return issue(reference, problem)
        }
    }

    /// A library file's bytes, never through a symbolic link. Blocking I/O.
    static func read(_ file: String, from library: Library) -> Result<[UInt8], Problem> {
        Result { () throws(ContainedFile.Failure) in
            try ContainedFile.read(
                file,
                in: library.path,
                limit: ReferenceImage.maximumFileBytes,
                followFolderLink: library.followLink
            )
        }
        .mapError { Problem(message: problem($0, file: file, library: library.path)) }
    }

    /// The file's SHA-256 and the image as sent, or why it is not an image. Blocking CPU.
    static func fit(
        _ bytes: [UInt8],
        _ file: String,
        _ library: Library
    ) -> Result<(sha256: String, image: ImageFitter.Fitted), Problem> {
        Result { () throws(ImagingError) in try ImageFitter.fit(bytes, longSide: ReferenceImage.longSide) }
            .map { (Digest.sha256Hex(bytes), $0) }
            .mapError { Problem(message: undecodable(file, library: library.path, $0)) }
    }

    static func undecodable(_ file: String, library: String, _ error: ImagingError) -> String {
        "\(file) in the reference library (\(library)) is not a PNG, JPEG or WebP image that can be decoded (\(error.message)): replace it, or, if it was still being copied in, requeue the manifest once it is whole"
    }

    /// The API refuses a request over 20 MB ("Request payload size exceeds the limit"): what a scene's
    /// references may come to as base64, leaving room for the prompt and, for a continuing scene, the image it
    /// continues from (at most 1536 px as JPEG).
    static let requestBudget = 20_971_520 - 512 * 1024
    static let continuationAllowance = 2 << 20

    /// `invalid_manifest` for scenes whose references would make a request larger than the API takes, each
    /// located; nil when every scene fits.
    func oversized(_ manifest: Manifest) -> ManifestError? {
        var issues: [ManifestIssue] = []
        for (index, scene) in manifest.scenes.enumerated() {
            let sent = images(for: scene).reduce(0) { $0 + ($1.image.bytes.count + 2) / 3 * 4 }
            let total = sent + (scene.continueFrom == nil ? 0 : Self.continuationAllowance)
            guard total > Self.requestBudget else { continue }
            let megabytes = (Double(total) / 1_048_576 * 10).rounded() / 10
            issues.append(
                ManifestIssue(
                    path: "scenes[\(index)].references",
                    message:
                        "the scene's \(scene.references.count) references come to \(megabytes) MB once brought within 1536 px and encoded for the request; one request may carry at most 20 MB: use fewer references (images without transparency are sent as JPEG, which is smaller)",
                    at: scene.referencesAt
                )
            )
        }
        return issues.isEmpty ? nil : ManifestError(reason: .invalidManifest, issues: issues)
    }

    /// The scene's named references, in its order.
    func images(for scene: Manifest.Scene) -> [ReferenceImage] {
        scene.references.compactMap { images[$0] }
    }

    static func issue(_ reference: Manifest.Reference, _ problem: Problem) -> ManifestIssue {
        ManifestIssue(path: "references.\(reference.name).file", message: problem.message, at: reference.fileAt)
    }

    /// What went wrong, naming the file and the library folder, and what to do about it.
    static func problem(_ failure: ContainedFile.Failure, file: String, library: String) -> String {
        switch failure {
        case .missing:
            return "\(file) is not in the reference library (\(library)): put the file there, or correct the path"
        case .link(let component):
            return
                "\(file): \(component) in the reference library (\(library)) is a symbolic link; SceneDrop never follows links there: put the file itself in the library"
        case .notFolder(let component):
            return "\(file): \(component) in the reference library (\(library)) is not a folder"
        case .outside:
            return "\(file) is not a path inside the reference library (\(library))"
        case .notRegular(let kind):
            return "\(file) in the reference library (\(library)) is \(kind), not a regular file"
        case .tooLarge(let size):
            return
                "\(file) in the reference library (\(library)) is \(size) bytes; a reference may be at most 20 MB (\(ReferenceImage.maximumFileBytes) bytes): save it smaller"
        case .unreadable(let error):
            return "\(file) in the reference library (\(library)) cannot be read: \(error.description)"
        case .folderIsLink:
            return
                "the reference library \(library) is a symbolic link, so \(file) was not read: SceneDrop follows a link there only when --references (or SCENEDROP_REFERENCES) names the library; make it a folder, or name the real one"
        case .folder(let error):
            return
                "the reference library \(library) cannot be opened (\(error.description)), so \(file) cannot be read: create it, or point --references at it"
        }
    }
}
