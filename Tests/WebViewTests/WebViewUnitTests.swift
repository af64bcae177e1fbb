import Testing

@testable import WebView

/// The web view's pure parts: addresses, the token, escaping and decoding.
@Suite struct WebViewUnitTests {
    /// Amounts and ages come from files and peers: none of them may trap (an `Int` made of 1e300 or of NaN would).
    @Test func moneyAndAgesAreTotal() {
        #expect(
            Page.money(0) == "0.00" && Page.money(0.0336) == "0.03" && Page.money(12.5) == "12.50"
                && Page.money(-1.5) == "-1.50"
        )
        #expect(Page.money(.infinity) == "inf" && Page.money(-.infinity) == "-inf" && Page.money(.nan) == "nan")
        #expect(Page.money(1e300) == "1e+300" && Page.money(Double(Int.max)) == "9.223372036854776e+18")
        #expect(Page.age(45) == "45 s" && Page.age(600) == "10 min" && Page.age(7200) == "2 h")
        #expect(
            Page.age(.nan) == "nan s" && Page.age(.infinity) == "inf s" && Page.age(1e300) == "1e+300 s"
                && Page.age(-3) == "-3 s"
        )
    }

    @Test func addressesParseAndKnowLoopback() throws {
        let v4 = try HTTPAddress(parsing: "127.0.0.1:8080")
        #expect(v4.host == "127.0.0.1" && v4.port == 8080 && v4.isLoopback)
        let v6 = try HTTPAddress(parsing: "[::1]:0")
        #expect(v6.host == "::1" && v6.port == 0 && v6.isLoopback && v6.description == "[::1]:0")
        #expect(try HTTPAddress(parsing: "localhost:9").isLoopback)
        #expect(try HTTPAddress(parsing: "127.9.9.9:1").isLoopback)
        #expect(!(try HTTPAddress(parsing: "0.0.0.0:8080").isLoopback))
        #expect(!(try HTTPAddress(parsing: "[::]:8080").isLoopback))
        #expect(!(try HTTPAddress(parsing: "127.example.com:80").isLoopback), "a name that starts like loopback is not")
        #expect(!(try HTTPAddress(parsing: "10.0.0.1:80").isLoopback))
        for bad in ["localhost", ":8080", "1.2.3.4:", "1.2.3.4:70000", "::1:80", "[::1]8080", "host:port"] {
            #expect(throws: HTTPAddress.ParseError.self, "\(bad)") { try HTTPAddress(parsing: bad) }
        }
        #expect(
            try HTTPAddress(parsing: "0.0.0.0:0").url(boundPort: 4321, hostName: "render7") == "http://render7:4321/"
        )
        #expect(v6.url(boundPort: 81, hostName: "x") == "http://[::1]:81/")
    }

    /// Host names and instance ids come from the coordinator's table, which any instance writes: escaped.
    @Test func theFleetSectionEscapesWhatTheRegistrySays() {
        let fleet = LiveFleet(
            coordinator: "postgres://farm:***@db:5432/budget",
            reachable: false,
            spentTodayUSD: 1.5,
            reservedUSD: 0.25,
            peers: [
                LiveFleet.Peer(
                    instance: "i-1",
                    host: "<script>x</script>",
                    state: "lost",
                    renewedAgoSeconds: 75,
                    sessionsInFlight: 2,
                    spentTodayUSD: 1
                )
            ]
        )
        let html = Page.fleet(fleet)
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;"))
        #expect(
            html.contains("unreachable") && html.contains("$1.50") && html.contains("$0.25 reserved")
                && html.contains("class=\"lost\"")
        )
        let live = LiveState(
            inbox: .init(count: 0, oldestAgeSeconds: nil),
            inFlight: [],
            spentTodayUSD: 0,
            dailyBudgetUSD: nil,
            cacheHits: 0,
            conditions: [],
            published: 0,
            quarantined: 0,
            requeued: 0,
            fleet: fleet
        )
        #expect(
            Page.page(live: live, sessions: [], quarantine: [], quarantineTotal: 0, quarantineLimit: 50).contains(
                "<h2>Fleet</h2>"
            )
        )
        #expect(
            !Page.page(
                live: LiveState(
                    inbox: .init(count: 0, oldestAgeSeconds: nil),
                    inFlight: [],
                    spentTodayUSD: 0,
                    dailyBudgetUSD: nil,
                    cacheHits: 0,
                    conditions: [],
                    published: 0,
                    quarantined: 0,
                    requeued: 0
                ),
                sessions: [],
                quarantine: [],
                quarantineTotal: 0,
                quarantineLimit: 50
            ).contains("Fleet"),
            "no section without a coordinator"
        )
    }

    @Test func tokenMatchesOnlyItself() {
        let token = AccessToken("abcdefghijklmnop")
        #expect(token.matches("abcdefghijklmnop"))
        #expect(!token.matches("abcdefghijklmno"))
        #expect(!token.matches("abcdefghijklmnopq"))
        #expect(!token.matches("Abcdefghijklmnop"))
        #expect(!token.matches(""))
    }

    @Test func escapingLeavesNoMarkup() {
        #expect(
            HTML.escape(#"<a href="x" onclick='y'>&`"#) == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;"
        )
        #expect(HTML.escape("plain ünïcode") == "plain ünïcode")
        #expect(HTML.segment("a b/../c?d#e%") == "a%20b%2F..%2Fc%3Fd%23e%25")
        #expect(HTML.segment("ep-42_x.json") == "ep-42_x.json")
        #expect(
            LiveEvents.scrub(#"{"a":"</script><b>&\#u{2028}"}"#)
                == #"{"a":"\u003c/script\u003e\u003cb\u003e\u0026\u2028"}"#
        )
    }

    @Test func percentDecodingRefusesWhatItCannotRead() {
        #expect(PercentDecoding.decode("a%20b%2F%2e%2E") == "a b/..")
        #expect(PercentDecoding.decode("%E2%9C%93") == "✓")
        #expect(PercentDecoding.decode("%ZZ") == nil)
        #expect(PercentDecoding.decode("%2") == nil)
        #expect(PercentDecoding.decode("%FF") == nil, "not UTF-8")
    }

    @Test func onlyPlainNamesAreEverLookedUp() {
        for name in ["scene-001.png", "a b.json", "<x>.json"] { #expect(OutboxReader.isPlainName(name)) }
        for name in ["", ".", "..", ".thumbs", "a/b", "../x", "/etc/passwd", "a\0b", "a\\b"] {
            #expect(!OutboxReader.isPlainName(name), "\(name)")
        }
    }
}
