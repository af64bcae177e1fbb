import Outbox

/// The page and its fragments, rendered on the server. Every string from outside goes through
/// `HTML.escape` (text) or `HTML.segment` (links); the page loads only its own script and style, and
/// the Content-Security-Policy forbids anything inline, so even a missed escape could not run.
enum Page {
    static func page(
        live: LiveState,
        sessions: [OutboxReader.SessionCard],
        quarantine: [OutboxReader.QuarantineCard],
        quarantineTotal: Int,
        quarantineLimit: Int
    ) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>SceneDrop</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/app.css"></head>
        <body><header><h1>SceneDrop</h1><span id="connection" class="muted">connecting…</span></header>
        <section><h2>Queue</h2><div id="queue">\(queue(live))</div></section>
        <section><h2>Spend and providers</h2><div id="health">\(health(live))</div></section>
        \(live.fleet.map { "<section><h2>Fleet</h2><div id=\"fleet\">\(fleet($0))</div></section>" } ?? "")
        <section><h2>Recent sessions</h2><div id="sessions">\(sessionsFragment(sessions))</div></section>
        <section><h2>Quarantine</h2><div id="quarantine">\(quarantineFragment(quarantine, total: quarantineTotal, limit: quarantineLimit))</div></section>
        <footer class="muted"><a href="/metrics">metrics</a> · <a href="/readyz">readiness</a></footer>
        <script src="/app.js"></script></body></html>

        """
    }

    /// The inbox and the sessions in flight; the script redraws the same markup from each event.
    static func queue(_ live: LiveState) -> String {
        var html = "<p id=\"inbox\">Inbox: <b>\(live.inbox.count)</b> waiting"
        if let age = live.inbox.oldestAgeSeconds { html += ", oldest \(Self.age(age))" }
        html += "</p>"
        guard !live.inFlight.isEmpty else { return html + "<p class=\"muted\" id=\"idle\">Nothing in flight.</p>" }
        html += "<ul class=\"flight\">"
        for session in live.inFlight {
            html +=
                "<li><b>\(HTML.escape(session.session))</b> <span class=\"muted\">\(HTML.escape(session.file))</span><ol>"
            for scene in session.scenes {
                html +=
                    "<li class=\"\(HTML.escape(scene.state))\">scene \(scene.scene): \(HTML.escape(scene.detail))</li>"
            }
            html += "</ol></li>"
        }
        return html + "</ul>"
    }

    static func health(_ live: LiveState) -> String {
        var html = "<p>Spent today (UTC): <b>$\(money(live.spentTodayUSD))</b>"
        html += live.dailyBudgetUSD.map { " of a $\(money($0)) daily budget" } ?? " (no daily budget)"
        html += " · cache hits: \(live.cacheHits)</p>"
        if live.conditions.isEmpty { return html + "<p class=\"muted\">Providers: all models available.</p>" }
        return html + "<ul class=\"conditions\">" + live.conditions.map { "<li>\(HTML.escape($0))</li>" }.joined()
            + "</ul>"
    }

    /// The instances sharing the coordinator; the script redraws the same markup from each event.
    static func fleet(_ fleet: LiveFleet) -> String {
        var html = "<p>Coordinator \(HTML.escape(fleet.coordinator)): "
        html += fleet.reachable ? "reachable" : "<b class=\"fallback\">unreachable</b>"
        html +=
            " · all instances spent $\(money(fleet.spentTodayUSD)) today, $\(money(fleet.reservedUSD)) reserved</p><ul class=\"fleet\">"
        for peer in fleet.peers {
            html +=
                "<li class=\"\(HTML.escape(peer.state))\"><b>\(HTML.escape(peer.host))</b> \(HTML.escape(peer.instance)): \(HTML.escape(peer.state)), "
            html +=
                "renewed \(age(peer.renewedAgoSeconds)) ago, \(peer.sessionsInFlight) in flight, $\(money(peer.spentTodayUSD)) today</li>"
        }
        return html + "</ul>"
    }

    static func sessionsFragment(_ sessions: [OutboxReader.SessionCard]) -> String {
        guard !sessions.isEmpty else { return "<p class=\"muted\">No session published yet.</p>" }
        return sessions.map { card in
            let base = "/sessions/" + HTML.segment(card.folder) + "/"
            var html =
                "<article class=\"sheet\" data-session=\"\(HTML.escape(card.folder))\"><h3>\(HTML.escape(card.session))</h3>"
            html +=
                "<p class=\"muted\">finished \(HTML.escape(card.finishedAt)) · \(card.scenes.count) scene\(card.scenes.count == 1 ? "" : "s")"
            html += card.fallbacks > 0 ? " · \(card.fallbacks) fell back" : ""
            html +=
                " · $\(money(card.costUSD)) · <a href=\"\(base)session.json\">session.json</a></p>"
            html += references(card)
            html += "<div class=\"scenes\">"
            for scene in card.scenes {
                let thumb = "/sessions/\(HTML.segment(card.folder))/thumbs/\(HTML.segment(scene.image))"
                let size = scene.thumbnail.map { " width=\"\($0.width)\" height=\"\($0.height)\"" } ?? ""
                html +=
                    "<figure><a href=\"\(base)\(HTML.segment(scene.image))\"><img src=\"\(thumb)\"\(size) alt=\"scene \(scene.number)\" loading=\"lazy\"></a>"
                html += "<figcaption><b>\(scene.number)</b> \(HTML.escape(scene.provider))"
                html += scene.model.map { " · " + HTML.escape($0) } ?? ""
                html += " · $\(money(scene.costUSD))"
                if let reason = scene.fallbackReason {
                    html += "<br><span class=\"fallback\">\(HTML.escape(FallbackWords.words(reason)))</span>"
                }
                html += "<br><span class=\"prompt\">\(HTML.escape(scene.prompt))</span>"
                html += "<br><a href=\"\(base)\(HTML.segment(scene.metadata))\">metadata</a></figcaption></figure>"
            }
            return html + "</div></article>"
        }.joined()
    }

    /// The strip of a session's reference images (contract §7), before its scenes; empty without any.
    static func references(_ card: OutboxReader.SessionCard) -> String {
        guard !card.references.isEmpty else { return "" }
        var html = "<div class=\"references\" aria-label=\"reference images\">"
        for reference in card.references {
            let src = "/sessions/\(HTML.segment(card.folder))/references/\(HTML.segment(reference.name))"
            let title = reference.description.map { " title=\"\(HTML.escape($0))\"" } ?? ""
            html +=
                "<figure\(title)><img src=\"\(src)\" alt=\"reference \(HTML.escape(reference.name))\" loading=\"lazy\">"
            html += "<figcaption>\(HTML.escape(reference.name)) · \(HTML.escape(reference.kind))</figcaption></figure>"
        }
        return html + "</div>"
    }

    /// The newest quarantined files, `total` in all; past `limit`, a count and a link to 50 more.
    static func quarantineFragment(_ entries: [OutboxReader.QuarantineCard], total: Int, limit: Int) -> String {
        guard !entries.isEmpty else { return "<p class=\"muted\">Nothing in quarantine.</p>" }
        var html = ""
        if total > entries.count {
            let more = min(limit + WebRoutes.quarantinePage, WebRoutes.quarantineMost)
            html += "<p class=\"muted\" id=\"quarantine-count\">The newest \(entries.count) of \(total) are shown."
            if more > limit { html += " <a href=\"/?quarantine=\(more)#quarantine\">Show \(more - limit) more</a>." }
            html += " <code>scenedrop status --json</code> lists them all.</p>"
        }
        html += "<ul class=\"quarantine\">"
        for entry in entries {
            let link = "/quarantine/" + HTML.segment(entry.name)
            html +=
                "<li data-name=\"\(HTML.escape(entry.name))\"><a href=\"\(link)\"><b>\(HTML.escape(entry.name))</b></a>"
            html += " <code class=\"reason\">\(HTML.escape(entry.reason ?? "no report"))</code>"
            html +=
                " <button type=\"button\" class=\"requeue\" data-requeue=\"\(HTML.escape(entry.name))\">Requeue</button>"
            if let message = entry.message { html += "<div class=\"message\">\(HTML.escape(message))</div>" }
            if !entry.located.isEmpty {
                html += "<ul>" + entry.located.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
            }
            html += " <a class=\"muted\" href=\"\(link).error.json\">report</a></li>"
        }
        return html + "</ul><p id=\"requeue-result\" class=\"muted\"></p>"
    }

    /// Dollars with cents. The amounts come from files anyone who can write to the root may change (session.json,
    /// another host's ledger) and from the coordinator: one that is not a plausible sum (infinite, not a number,
    /// a trillion or more) is shown as it is. Converting it to an `Int` would trap and end the daemon.
    static func money(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "\(value)" }
        let cents = Int((abs(value) * 100).rounded())
        let fraction = cents % 100
        return (value < 0 && cents > 0 ? "-" : "") + "\(cents / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    /// An age in words; never a trap, whatever a peer's clock or a file's time says.
    static func age(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "\(seconds) s" }
        switch seconds {
        case ..<90: return "\(Int(seconds)) s"
        case ..<5400: return "\(Int(seconds / 60)) min"
        default: return "\(Int(seconds / 3600)) h"
        }
    }
}

/// A fallback reason code in words, for editors.
enum FallbackWords {
    static func words(_ reason: String) -> String {
        switch reason {
        case "no_api_key": return "placeholder: no API key is configured"
        case "invalid_api_key": return "placeholder: the API refused the key"
        case "rate_limited": return "fell back: the model was rate limited"
        case "quota_exhausted": return "fell back: today's quota is used up"
        case "safety_blocked": return "placeholder: the prompt was blocked by the model's safety filter"
        case "no_image": return "fell back: the model answered without an image"
        case "timeout": return "fell back: the model did not answer in time"
        case "server_error": return "fell back: the model's server failed"
        case "network_error": return "fell back: the API could not be reached"
        case "invalid_image": return "fell back: the model sent an unusable image"
        case "model_not_found": return "fell back: the model does not exist for this key"
        case "budget_exceeded": return "placeholder: today's budget is spent"
        default: return "fell back (\(reason))"
        }
    }
}
