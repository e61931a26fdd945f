import BackstopAccess
import BackstopContracts
import BackstopInbox
import Testing

@Suite("what each organisation may see of an event")
struct EventViewTests {
    let alert = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample, districtCode: "510703007012")

    @Test func theCatalogueKnowsWhichFieldsAreSensitiveAndWhomAnEventNames() throws {
        let contract = try #require(EventCatalogue.standard.contract(for: AlertRaisedV1.eventType))
        #expect(contract.sensitiveFields == ["location_code"])
        #expect(contract.organisationFields == [["assigned_to", "*", "org_id"]])
        #expect(contract.organisations(namedIn: alert) == ["township-510703007", "dept-medical-insurance", "dept-health"])
        // Every marked field is a property of its schema and documented as such.
        for type in EventCatalogue.standard.types {
            let c = EventCatalogue.standard.contract(for: type)!
            if !c.sensitiveFields.isEmpty { #expect(c.sensitivity == .sensitive || c.sensitivity == .personal, "\(type)") }
        }
    }

    @Test func aNamedDepartmentSeesSensitiveFieldsAndTheReadIsToBeAudited() {
        let view = EventView(of: alert, for: .init(organisation: "dept-health", kind: .department, districtCode: "510703"))
        #expect(view.shownSensitive == ["/data/location_code"])
        #expect(view.withheld.isEmpty && view.event.districtCode == "510703007012")
        #expect(view.event.data.objectValue?["location_code"] == .string("510703007012"))
    }

    @Test func aDepartmentOutsideTheMatterDoesNotSeeThem() {
        let view = EventView(of: alert, for: .init(organisation: "dept-civil-affairs", kind: .department, districtCode: "510703"))
        #expect(view.shownSensitive.isEmpty)
        #expect(view.withheld == ["/data/location_code", "/districtcode"])
        #expect(view.event.data.objectValue?["location_code"] == nil)
        #expect(view.event.districtCode == "510703", "the envelope's village code would give the location away")
        #expect(view.event.data.objectValue?["household_ref"] == alert.data.objectValue?["household_ref"], "the rest is intact")
    }

    @Test func townshipsAndVillagesSeeWhatHappensInsideTheirDivision() {
        let inside = EventView(of: alert, for: .init(organisation: "village-012", kind: .village, districtCode: "510703007012"))
        #expect(inside.shownSensitive == ["/data/location_code"])
        let elsewhere = EventView(of: alert, for: .init(organisation: "township-510703008", kind: .township, districtCode: "510703008"))
        #expect(elsewhere.withheld == ["/data/location_code", "/districtcode"])
    }

    @Test func thirdPartiesNeverSeeSensitiveFieldsEvenWhenNamed() throws {
        var data = try #require(CaseIdentifiedV1.sample.json.objectValue)
        data["national_case_ref"] = .string("NCR-2026-000123")
        let event = CloudEvent(source: "/orgs/dept-rural", type: CaseIdentifiedV1.eventType, districtCode: "510703007012", data: .object(data))
        let view = EventView(of: event, for: .init(organisation: "ent-lvyuan-foods", kind: .enterprise, districtCode: "510703007012"))
        #expect(view.withheld == ["/data/national_case_ref", "/data/target_type", "/districtcode"])
        #expect(view.event.data.objectValue?["target_type"] == nil && view.event.data.objectValue?["national_case_ref"] == nil)
        #expect(view.event.data.objectValue?["risk_categories"] != nil && view.event.data.objectValue?["income_band"] != nil,
                "need categories and bands stay")
        let named = CloudEvent(source: "/orgs/dept-hrss", payload: JobReferralSentV1.sample)
        #expect(EventView(of: named, for: .init(organisation: "ent-x", kind: .enterprise, districtCode: "510703")).withheld.isEmpty,
                "types without sensitive fields pass unchanged")
    }
}
