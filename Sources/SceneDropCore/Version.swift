package enum SceneDropVersion {
    package static let current = "0.1.0"
}
