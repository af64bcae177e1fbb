/// A set-up that can never work, found at start: the command exits 64 (a usage error) with `message`, which
/// says what to change, instead of running and failing at every manifest.
package struct StartupError: Error, CustomStringConvertible, Sendable {
    package enum Code: String, Sendable {
        /// `--state-dir` is on another filesystem than the inbox: a claim is a rename between them.
        case stateOnAnotherFilesystem = "state_on_another_filesystem"
    }

    package var code: Code
    package var message: String

    package var description: String { message }

    static func stateOnAnotherFilesystem(inbox: String, state: String) -> StartupError {
        StartupError(
            code: .stateOnAnotherFilesystem,
            message:
                "the state folder \(state) is on another filesystem than the inbox \(inbox): a manifest is claimed by "
                + "renaming it from the inbox into \(state)/work, which cannot cross filesystems. Put --state-dir on the "
                + "inbox's filesystem (the default, <root>/.scenedrop, is), or leave it out"
        )
    }
}
