public enum SceneDropVersion {
    public static let current = "0.1.0"
}
