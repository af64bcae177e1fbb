import ImageGeneration
import SceneManifest

/// "A manifest that no model of its chain can serve is invalid" (contract §7): a scene whose references (by
/// kind, the image of a scene continued from counting as an object) no model of its chain can take. Only
/// where the chain has a model for the scene without its references: an empty chain serves every scene
/// from the placeholder alike.
enum ReferenceCheck {
    static func issues(_ manifest: Manifest, catalog: ModelCatalog) -> [ManifestIssue] {
        let kinds = Dictionary(manifest.references.map { ($0.name, $0.kind) }, uniquingKeysWith: { a, _ in a })
        var issues: [ManifestIssue] = []
        for (index, scene) in manifest.scenes.enumerated() {
            let need = ReferenceNeed(
                kinds: scene.references.compactMap { kinds[$0] },
                continues: scene.continueFrom != nil
            )
            guard !need.isEmpty else { continue }
            func plan(_ need: ReferenceNeed) -> ModelPlan {
                ModelPlan(
                    quality: manifest.quality,
                    manifestModel: manifest.model,
                    aspectRatio: manifest.aspectRatio.description,
                    width: manifest.width,
                    height: manifest.height,
                    catalog: catalog,
                    references: need
                )
            }
            let withReferences = plan(need)
            guard withReferences.steps.isEmpty, !plan(ReferenceNeed()).steps.isEmpty else { continue }
            let counted =
                "\(need.total) reference images (\(need.characters) characters, \(need.objects) objects"
                + (scene.continueFrom != nil ? ", the scene continued from counted as an object)" : ")")
            issues.append(
                ManifestIssue(
                    path: "scenes[\(index)].references",
                    message:
                        "no model of the \(manifest.quality.rawValue) chain can take this scene's \(counted): "
                        + withReferences.skipped.map(\.reason).joined(separator: "; ") + ". Use fewer references",
                    at: scene.referencesAt
                )
            )
        }
        return issues
    }

    /// The manifest's `invalid_manifest` error for those issues; nil when there are none.
    static func error(_ manifest: Manifest, catalog: ModelCatalog?) -> ManifestError? {
        guard let catalog else { return nil }
        let issues = issues(manifest, catalog: catalog)
        return issues.isEmpty ? nil : ManifestError(reason: .invalidManifest, issues: issues)
    }
}
