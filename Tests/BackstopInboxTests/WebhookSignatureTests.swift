import Foundation
import Testing
@testable import BackstopInbox

@Suite("webhook signing and headers")
struct WebhookSignatureTests {
    @Test func signaturesVerifyOnlyWithTheSecretTimestampAndBodyTheyWereMadeWith() {
        let body = Data(#"{"a":1}"#.utf8)
        let header = WebhookSignature.header(secrets: ["s-new", "s-old"], timestamp: 1_795_000_000, body: body)
        #expect(header.split(separator: ",").count == 2 && header.hasPrefix("v1="))
        #expect(WebhookSignature.verify(header: header, secret: "s-new", timestamp: 1_795_000_000, body: body))
        #expect(WebhookSignature.verify(header: header, secret: "s-old", timestamp: 1_795_000_000, body: body))
        #expect(!WebhookSignature.verify(header: header, secret: "s-other", timestamp: 1_795_000_000, body: body))
        #expect(!WebhookSignature.verify(header: header, secret: "s-new", timestamp: 1_795_000_001, body: body), "replayed with another time")
        #expect(!WebhookSignature.verify(header: header, secret: "s-new", timestamp: 1_795_000_000, body: Data(#"{"a":2}"#.utf8)))
        // Known answer, from Python's hmac module: HMAC-SHA256("Jefe", "1795000000.what do ya want for nothing?").
        #expect(WebhookSignature.mac(secret: "Jefe", timestamp: 1_795_000_000, body: Data("what do ya want for nothing?".utf8))
                == "caa974d2a898505fffd5aa23352603ce49fc280e491b0b83e670f37477ee3fef")
    }

    @Test func binaryModeHeaderValuesArePercentEncodedAsCloudEventsRequires() {
        #expect(headerValue("cn.backstop.alert.raised.v1") == "cn.backstop.alert.raised.v1")
        #expect(headerValue("a b\r\nX-Evil: 1") == "a%20b%0D%0AX-Evil:%201")
        #expect(headerValue("蔬菜") == "%E8%94%AC%E8%8F%9C")
        #expect(headerValue(#"50% "off""#) == "50%25%20%22off%22")
    }
}
