/// The page's script and style: served from the binary, so the page works offline with no build
/// step and no CDN. The script builds everything with `textContent`; the only HTML it inserts is the
/// server's own escaped fragments.
enum PageAssets {
    static let script = #"""
        "use strict";
        (function () {
          const $ = (id) => document.getElementById(id);
          let seen = null;

          function el(tag, cls, text) {
            const node = document.createElement(tag);
            if (cls) node.className = cls;
            if (text !== undefined) node.textContent = text;
            return node;
          }
          function age(s) { return s < 90 ? Math.floor(s) + " s" : s < 5400 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h"; }
          function money(v) { return (Math.round(v * 100) / 100).toFixed(2); }

          function drawQueue(live) {
            const box = $("queue");
            box.replaceChildren();
            const inbox = el("p"); inbox.id = "inbox";
            inbox.append("Inbox: ", el("b", null, String(live.inbox.count)), " waiting");
            if (live.inbox.oldest_age_seconds != null) inbox.append(", oldest " + age(live.inbox.oldest_age_seconds));
            box.append(inbox);
            if (live.in_flight.length === 0) { const idle = el("p", "muted", "Nothing in flight."); idle.id = "idle"; box.append(idle); return; }
            const list = el("ul", "flight");
            for (const session of live.in_flight) {
              const item = el("li");
              item.append(el("b", null, session.session), " ", el("span", "muted", session.file));
              const scenes = el("ol");
              for (const scene of session.scenes) scenes.append(el("li", scene.state, "scene " + scene.scene + ": " + scene.detail));
              item.append(scenes);
              list.append(item);
            }
            box.append(list);
          }

          function drawHealth(live) {
            const box = $("health");
            box.replaceChildren();
            const spend = el("p");
            spend.append("Spent today (UTC): ", el("b", null, "$" + money(live.spent_today_usd)),
              live.daily_budget_usd != null ? " of a $" + money(live.daily_budget_usd) + " daily budget" : " (no daily budget)",
              " · cache hits: " + live.cache_hits);
            box.append(spend);
            if (live.conditions.length === 0) { box.append(el("p", "muted", "Providers: all models available.")); return; }
            const list = el("ul", "conditions");
            for (const line of live.conditions) list.append(el("li", null, line));
            box.append(list);
          }

          function drawFleet(live) {
            const box = $("fleet");
            if (!box || !live.fleet) return;
            const fleet = live.fleet;
            box.replaceChildren();
            const head = el("p");
            head.append("Coordinator " + fleet.coordinator + ": ", fleet.reachable ? "reachable" : el("b", "fallback", "unreachable"),
              " · all instances spent $" + money(fleet.spent_today_usd) + " today, $" + money(fleet.reserved_usd) + " reserved");
            const list = el("ul", "fleet");
            for (const peer of fleet.peers) {
              const item = el("li", peer.state);
              item.append(el("b", null, peer.host), " " + peer.instance + ": " + peer.state + ", renewed " + age(peer.renewed_ago_seconds) +
                " ago, " + peer.sessions_in_flight + " in flight, $" + money(peer.spent_today_usd) + " today");
              list.append(item);
            }
            box.append(head, list);
          }

          async function refresh(part) {
            const answer = await fetch("/fragments/" + part + location.search, { credentials: "same-origin" });
            if (answer.ok) $(part).innerHTML = await answer.text();
          }

          function apply(live) {
            drawQueue(live);
            drawHealth(live);
            drawFleet(live);
            const counts = [live.published, live.quarantined, live.requeued].join("/");
            if (seen !== null && seen !== counts) { refresh("sessions"); refresh("quarantine"); }
            seen = counts;
          }

          document.addEventListener("click", async (event) => {
            const button = event.target.closest("button[data-requeue]");
            if (!button) return;
            const name = button.getAttribute("data-requeue");
            button.disabled = true;
            const answer = await fetch("/quarantine/" + encodeURIComponent(name) + "/requeue", {
              method: "POST", credentials: "same-origin", headers: { "X-SceneDrop-Action": "requeue" } });
            const result = await answer.json().catch(() => ({ message: "no answer" }));
            await refresh("quarantine");
            const line = $("requeue-result") || $("quarantine").appendChild(el("p", "muted"));
            line.textContent = answer.ok ? "Requeued " + result.requeued + ": it is back in the inbox." : "Not requeued: " + result.message;
          });

          const events = new EventSource("/events");
          events.onopen = () => { $("connection").textContent = "live"; };
          events.onerror = () => { $("connection").textContent = "reconnecting…"; };
          events.onmessage = (message) => apply(JSON.parse(message.data));
        })();

        """#

    static let style = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; color: #1d1d1f; }
        header { display: flex; align-items: baseline; gap: 1rem; }
        h1 { margin: .6rem 0; } h2 { border-bottom: 1px solid #ddd; margin-top: 1.6rem; } h3 { margin: .8rem 0 .2rem; }
        .muted { color: #6e6e73; } code.reason { background: #fde8e8; padding: 0 .3rem; border-radius: 3px; }
        .flight li.requesting, .flight li.rendering { color: #0a58ca; } .flight li.waiting { color: #b35c00; }
        .flight li.written { color: #1a7f37; }
        .scenes { display: flex; flex-wrap: wrap; gap: .8rem; }
        figure { margin: 0; width: 200px; } figure img { width: 200px; height: auto; background: #eee; display: block; }
        figcaption { font-size: 12px; overflow-wrap: anywhere; } .fallback { color: #b35c00; } .prompt { color: #444; }
        .references { display: flex; flex-wrap: wrap; gap: .5rem; margin: .3rem 0 .6rem; }
        .references figure { width: 72px; } .references img { width: 72px; height: 72px; object-fit: cover; }
        .quarantine > li { margin-bottom: .6rem; } .message { overflow-wrap: anywhere; }
        button.requeue { margin-left: .5rem; } .fleet li.lost { color: #b35c00; }

        """
}
