import BackstopCoordinator
import BackstopMonitoring
import Foundation
import Testing

/// The shipped screening rules, read once.
let shippedRules: ScreeningRules = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Ops/screening/s-province.yaml").standardized
    do { return try ScreeningFile.load(url) } catch { fatalError("the shipped screening rules do not load: \(error)") }
}()

let household = "hh-0123456789abcdef0123456789abcdef"

@Suite struct ScreeningRulesFileTests {
    @Test func shippedFileLoadsWithEveryIndicatorSetAndRule() {
        #expect(shippedRules.sets["medical_insurance"]?.departments == ["dept-medical-insurance"])
        #expect(shippedRules.sets["education"]?.period == .year)
        #expect(shippedRules.rules.count >= 10)
        #expect(shippedRules.indicators["medical_oop_ytd"]?.sensitive == true)
    }

    @Test func brokenFileListsEveryProblemWithItsLine() {
        let text = """
        time_zone: Asia/Shanghai
        income_lines:
          - {province: "51", year: 2026, effective_from: 2026-02-30, amount: 9400}
        indicators:
          medical_oop_ytd: {unit: dollars}
        indicator_sets:
          medical_insurance: {departments: [dept-medical-insurance], indicators: [medical_oop_ytd, nothing], period: weekly}
        rules:
          - {id: r1, basis: b, indicator: medical_oop_ytd, at_least: 5000, far_above: 100, risk_categories: [illness]}
          - {id: r1, basis: b, indicator: unknown_code, risk_categories: [flu]}
        """
        do {
            _ = try ScreeningFile.parse(text, file: "broken.yaml")
            Issue.record("a broken file was accepted")
        } catch {
            let messages = error.problems.map(\.description)
            #expect(messages.contains { $0.contains("broken.yaml:3:") && $0.contains("2026-02-30") })
            #expect(messages.contains { $0.contains(":5:") && $0.contains("dollars") })
            #expect(messages.contains { $0.contains("'nothing' is not under indicators") })
            #expect(messages.contains { $0.contains("period 'weekly'") })
            #expect(messages.contains { $0.contains("far_above must be above at_least") })
            #expect(messages.contains { $0.contains("the id is used twice") })
            #expect(messages.contains { $0.contains("'flu' is not a risk category") })
            #expect(messages.contains { $0.contains("exactly one condition") })
        }
    }
}

@Suite struct ScreenerTests {
    let screener = Screener(rules: shippedRules)

    func record(_ indicator: String, _ value: Double, unit: IndicatorUnit = .yuan, period: String = "2026-10",
                location: String = "510703001004", population: Population = .rural) -> IndicatorRecord {
        IndicatorRecord(householdRef: household, indicator: indicator, value: value, unit: unit, period: period, locationCode: location, population: population)
    }

    @Test func medicalThresholdDependsOnPopulation() {
        #expect(screener.hits(record("medical_oop_ytd", 6_800, population: .formerlyPoor)).map(\.rule.id) == ["mi-oop-inpatient-formerly-poor"])
        #expect(screener.hits(record("medical_oop_ytd", 6_800, population: .rural)).isEmpty)
        #expect(screener.hits(record("medical_oop_ytd", 4_999, population: .monitored)).isEmpty)
        let far = screener.hits(record("medical_oop_ytd", 60_000))
        #expect(far.map(\.rule.id) == ["mi-oop-inpatient-other"])
        #expect(far.first?.band == "far_above_threshold")
        #expect(screener.hits(record("medical_oop_ytd", 26_000)).first?.band == "above_threshold")
    }

    @Test func incomeLineIsTheOneInForceAtTheEndOfThePeriod() {
        // 2026 line (9,400) takes effect on 1 March 2026; February 2026 still uses 2025's 9,100.
        #expect(!screener.hits(record("income_pc_12m", 9_200, period: "2026-03")).isEmpty)
        #expect(screener.hits(record("income_pc_12m", 9_200, period: "2026-02")).isEmpty)
        #expect(screener.hits(record("income_pc_12m", 4_000, period: "2026-03")).first?.band == "far_above_threshold")
        // No line for 2020 or for another province: the record cannot be screened.
        #expect(screener.missingLine(for: record("income_pc_12m", 5_000, period: "2020-06")) != nil)
        #expect(screener.missingLine(for: record("income_pc_12m", 5_000, location: "520103001")) != nil)
        #expect(screener.missingLine(for: record("income_pc_12m", 5_000)) == nil)
    }

    @Test func incomeLineTableKeepsEachEffectiveDate() {
        let table = IncomeLineTable([
            IncomeLine(province: "51", year: 2026, effectiveFrom: CalendarDate("2026-03-01")!, amount: 9_400),
            IncomeLine(province: "51", year: 2025, effectiveFrom: CalendarDate("2025-03-01")!, amount: 9_100),
        ])
        #expect(table.line(province: "51", on: CalendarDate("2026-02-28")!)?.amount == 9_100)
        #expect(table.line(province: "51", on: CalendarDate("2026-03-01")!)?.amount == 9_400)
        #expect(table.line(province: "51", on: CalendarDate("2025-01-01")!) == nil)
    }
}

@Suite struct PushScreeningTests {
    func csv(_ text: String, set: String = "medical_insurance", period: String = "2026-10",
             department: String = "dept-medical-insurance") throws(PushRejected) -> ScreenedPush {
        var push = try PushScreening(rules: shippedRules, department: department, setName: set, period: period)
        // Feed in small chunks, so rows and quoted fields straddle chunk borders.
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: 7) { push.csv(bytes[start..<min(start + 7, bytes.count)]) }
        return try push.finish()
    }

    static let good = """
        household_ref,indicator,value,unit,period,location_code,population\r
        hh-0123456789abcdef0123456789abcdef,medical_oop_ytd,6800,yuan,2026-10,510703001004,formerly_poor\r
        hh-1123456789abcdef0123456789abcdef,medical_oop_ytd,8000,yuan,2026-10,510703001004,rural\r
        "hh-2123456789abcdef0123456789abcdef",medical_oop_ytd,"26000",yuan,2026-10,510703002001,\r
        hh-3123456789abcdef0123456789abcdef,medical_oop_outpatient_month,620,yuan,2026-10,510703003,monitored\r

        """

    @Test func goodPushFlagsTheRecordsOverThresholds() throws {
        let push = try csv(Self.good)
        #expect(push.records == 4)
        #expect(push.flagged.map(\.row) == [2, 4, 5])
        #expect(push.flagged.map { $0.hits[0].rule.id } == ["mi-oop-inpatient-formerly-poor", "mi-oop-inpatient-other", "mi-oop-outpatient-month"])
        #expect(push.pushKey == "medical_insurance/2026-10")
        #expect(push.digest.hasPrefix("sha256:") && push.digest.count == 71)
    }

    @Test func sameRecordsGiveTheSameDigestAndOtherRecordsAnother() throws {
        let a = try csv(Self.good), b = try csv(Self.good.replacingOccurrences(of: "\r", with: ""))
        #expect(a.digest == b.digest)
        let c = try csv(Self.good.replacingOccurrences(of: "8000", with: "8001"))
        #expect(c.digest != a.digest)
    }

    @Test func malformedPushListsEveryErrorByRowAndColumn() throws {
        let text = """
            household_ref,indicator,value,unit,period,location_code
            12345,medical_oop_ytd,abc,dollars,2026-09,5107
            hh-0123456789abcdef0123456789abcdef,school_dropout,1,flag,2026-10,510703001004
            hh-0123456789abcdef0123456789abcdef,medical_oop_ytd,-5,flag,2026-10,510703001004
            hh-0123456789abcdef0123456789abcdef,medical_oop_ytd,5
            "hh-0123456789abcdef0123456789abcdef"x,medical_oop_ytd,5,yuan,2026-10,510703001004
            """
        do {
            _ = try csv(text)
            Issue.record("a malformed push was accepted")
        } catch {
            let found = Set(error.problems.map { "\($0.row ?? 0):\($0.column)" })
            for expected in ["2:household_ref", "2:value", "2:unit", "2:period", "2:location_code", "3:indicator",
                             "4:value", "4:unit", "5:", "6:"] {
                #expect(found.contains(expected), "missing \(expected) in \(found.sorted())")
            }
            #expect(error.total == error.problems.count)
        }
    }

    @Test func wholePushProblemsAreRefusedBeforeAnyRow() {
        #expect(throws: PushRejected.self) { _ = try PushScreening(rules: shippedRules, department: "dept-health", setName: "medical_insurance", period: "2026-10") }
        #expect(throws: PushRejected.self) { _ = try PushScreening(rules: shippedRules, department: "dept-education", setName: "education", period: "2026-04") }
        #expect(throws: PushRejected.self) { _ = try PushScreening(rules: shippedRules, department: "dept-emergency", setName: "emergency_disaster", period: "2026-07") }
        #expect(throws: PushRejected.self) { _ = try PushScreening(rules: shippedRules, department: "dept-medical-insurance", setName: "nope", period: "2026-10") }
    }

    @Test func aBrokenHeaderIsReportedOnceNotOnEveryRow() {
        let rows = String(repeating: "\(household),medical_oop_ytd,1,yuan,2026-10\n", count: 50)
        do {
            _ = try csv("household_ref,indicator,value,unit,period\n" + rows)
            Issue.record("a push without location_code was accepted")
        } catch {
            #expect(error.total == 1 && error.problems.first?.column == "location_code" && error.problems.first?.row == 1)
        }
    }

    @Test func headerMustNameEveryRequiredColumnOnce() {
        #expect(throws: PushRejected.self) { _ = try csv("household_ref,indicator,value,unit,period,period\n") }
        #expect(throws: PushRejected.self) { _ = try csv("household_ref,indicator,value,unit,period,location_code,colour\n") }
        #expect(throws: PushRejected.self) { _ = try csv("household_ref,indicator,value,unit,period,location_code\n") }  // no records
    }
}

@Suite struct CSVTokenizerTests {
    func rows(_ text: String) -> ([[String]], [Int]) {
        var t = CSVTokenizer(), out: [[String]] = []
        t.feed(Array(text.utf8)) { fields, _ in out.append(fields) }
        t.finish { fields, _ in out.append(fields) }
        return (out, t.malformedRows.map(\.row))
    }

    @Test func quotesCommasAndLineBreaksInsideFields() {
        let (r, bad) = rows("\u{FEFF}a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,x")
        #expect(r == [["a", "b,c", "say \"hi\""], ["two\nlines", "", "x"]])
        #expect(bad.isEmpty)
    }

    @Test func strayQuotesAndUnclosedFieldsAreReported() {
        #expect(rows("a,b\"c\n").1 == [1])
        #expect(rows("ok\n\"open").1 == [2])
        #expect(rows("\"x\"y,z\n").1 == [1])
    }
}
