import BackstopContracts
import BackstopCoordinator
import Foundation

/// Steps that belong together and must run in order: one household's story, one whistle, or one
/// posted offer or pledge (a resource, published before the stories that use it).
struct PlannedUnit: Sendable {
    /// The steps, by time.
    var steps: [SimulationStep]
    /// Whether the unit posts an offer or pledge that stories draw on.
    var isResource: Bool
}

/// Plans the district's activity one local day at a time, from the seed alone: risk clues through
/// the channels of domain brief §2.3 (self-reports, grid checks, cadre visits, hotlines, monthly
/// department pushes on their push days, platform analytics, social organisations, employers), the
/// occasional flood with its department push and whistle, other whistles (吹哨), and the regular
/// job offers, pledges and industry support offers.
struct DistrictPlanner {
    /// The district planned for.
    let district: DemoDistrict
    /// The coordination office's desk (alerts and decisions), if the simulation plays it.
    let desk: CoordinatorDesk?
    /// Due times as the coordinator computes them.
    let oracle: DeadlineOracle
    /// The seed of every choice.
    let seed: UInt64
    /// The seed of ids and household references (new each run).
    let idSeed: UInt64
    /// The offers and pledges posted so far.
    var resources: DistrictResources

    /// A planner whose choices follow from `seed` and whose ids and household references follow
    /// from `idSeed`; nothing is planned before `earliest`.
    init(district: DemoDistrict, desk: CoordinatorDesk?, seed: UInt64, idSeed: UInt64, earliest: Date) {
        self.district = district
        self.desk = desk
        oracle = DeadlineOracle(planner: desk?.planner)
        self.seed = seed
        self.idSeed = idSeed
        resources = DistrictResources(district: district, earliest: earliest)
    }

    /// Local midnight of the day containing `date`.
    static func startOfDay(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = SimulationEvents.zone
        return calendar.startOfDay(for: date)
    }

    /// Everything that starts on the local day beginning at `day` (a local midnight).
    mutating func plan(day: Date) -> [PlannedUnit] {
        let index = UInt64(max(0, CalendarDate(containing: day + 43_200, in: SimulationEvents.zone).daysSinceEpoch))
        var rng = SeededGenerator(seed: seed, stream: index << 8)
        var ids = SeededGenerator(seed: idSeed, stream: index << 8)
        let working = oracle.isWorkingDay(day + 43_200)
        var units: [PlannedUnit] = []
        var story: UInt64 = 0
        let district = self.district, desk = self.desk, oracle = self.oracle, seed = self.seed, idSeed = self.idSeed

        func office(_ rng: inout SeededGenerator) -> Date { day + 8.5 * 3600 + rng.hours(0...8.5) }
        resources.forget(before: day)

        func household(_ clue: ClueSource, at time: Date, village: DemoDistrict.Village? = nil, resources: inout DistrictResources) {
            story += 1
            let stream = index << 8 | story
            var pick = SeededGenerator(seed: seed, stream: stream ^ 0x5A5A)
            let home = village ?? pick.pick(district.villages)
            var clue = clue
            if clue.publisher == "village" { clue.publisher = home.organisation }
            if clue.publisher == "township" { clue.publisher = "township-" + home.code.prefix(9) }
            var household = HouseholdStory(district: district, desk: desk, oracle: oracle, rng: SeededGenerator(seed: seed, stream: stream),
                                           ids: SeededGenerator(seed: idSeed, stream: stream), village: home, start: time)
            household.plan(clue, at: time, resources: &resources)
            units.append(PlannedUnit(steps: household.steps.sorted { $0.at < $1.at }, isResource: false))
        }

        // Regular offers and pledges.
        if working {
            let employers = ["ent-lvyuan-foods", "ent-hongda-garments", "ent-jianxin-construction", "coop-yuanba-kiwi", "coop-qingshan-tea"]
            for employer in employers where rng.chance(1 / 16) {
                let at = office(&rng)
                resources.postJobOffer(of: employer, at: at, rng: &rng, ids: &ids)
            }
            if isPushDay(day, from: 10) {
                let at = office(&rng)
                resources.postJobOffer(of: "dept-hrss", at: at, rng: &rng, ids: &ids)
            }
            for donor in ["ngo-county-charity", "ngo-spring-bud-education"] where rng.chance(1 / 20) {
                let at = office(&rng)
                resources.pledge(by: donor, at: at, rng: &rng, ids: &ids)
            }
            if rng.chance(1 / 45) {
                let at = office(&rng)
                resources.pledge(by: "ent-lvyuan-foods", at: at, rng: &rng, ids: &ids)
            }
            for provider in ["coop-yuanba-kiwi", "coop-qingshan-tea", "ent-lvyuan-foods"] where rng.chance(1 / 28) {
                let at = office(&rng)
                resources.postIndustryOffer(of: provider, at: at, rng: &rng, ids: &ids)
            }
        }

        // Clues through the everyday channels; on rest days only the hotlines answer.
        let everyday = poisson(mean: working ? 1.9 : 0.3, &rng)
        for _ in 0..<everyday {
            let channel: RiskClueReportedV1.DetectedBy = working
                ? rng.weighted([(.selfReport, 0.22), (.gridCheck, 0.28), (.cadreVisit, 0.17), (.hotline12317, 0.07), (.hotline12345, 0.05),
                                (.platformAnalytics, 0.06), (.ngo, 0.08), (.enterprise, 0.07)])
                : rng.weighted([(.hotline12317, 0.6), (.hotline12345, 0.4)])
            let time = [.hotline12317, .hotline12345].contains(channel) ? day + rng.hours(7.5...21.5) : office(&rng)
            household(everydayClue(channel, &rng), at: time, resources: &resources)
        }

        // Department pushes on their monthly push days (domain brief §2.4, rule D7).
        let pushes: [(dept: String, from: Int, count: ClosedRange<Int>)] = [
            ("dept-medical-insurance", 3, 2...4), ("dept-health", 5, 1...2), ("dept-civil-affairs", 26, 1...2),
            ("dept-hrss", 26, 1...2), ("dept-disabled-persons-federation", 26, 0...1),
        ]
        for push in pushes where isPushDay(day, from: push.from) {
            let at = day + 9.5 * 3600 + rng.hours(0...1.5)
            for row in 0..<Int.random(in: push.count, using: &rng) {
                household(pushClue(from: push.dept, &rng), at: at + Double(row) * 60, resources: &resources)
            }
        }

        // Now and then a flood or landslide hits one township: grid workers report the same day,
        // the emergency bureau pushes its damage list, and the township blows the whistle.
        if working, rng.chance(1 / 35) {
            let township = rng.pick(district.townships)
            let hit = day + 8 * 3600 + rng.hours(0...3)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                household(ClueSource(detectedBy: .gridCheck, publisher: "village", categories: [.disaster, .housingUnsafe]),
                          at: hit + rng.hours(0.5...6), village: rng.pick(township.villages), resources: &resources)
            }
            for _ in 0..<Int.random(in: 2...3, using: &rng) {
                household(ClueSource(detectedBy: .deptPush, publisher: "dept-emergency", sourceDept: "dept-emergency", categories: [.disaster],
                                     indicator: .init(band: .farAboveThreshold, code: "disaster_house_damage", thresholdRuleId: "em-house-damage-grade-c")),
                          at: hit + rng.hours(20...30), village: rng.pick(township.villages), resources: &resources)
            }
            units.append(whistle(township, at: hit + rng.hours(2...5), categories: [.disaster, .housingUnsafe], matter: .urgentHardship,
                                 called: ["dept-emergency", "dept-housing", "dept-civil-affairs"], stream: index << 8 | 0xF0))
        } else if working, rng.chance(1 / 12) {
            let township = rng.pick(district.townships)
            let (categories, called): ([RiskCategory], [String]) = rng.pick([
                ([.illness, .expenseSurge], ["dept-medical-insurance", "dept-civil-affairs"]),
                ([.schooling], ["dept-education"]),
                ([.unemployment], ["dept-hrss", "dept-rural-revitalisation"]),
                ([.industryFailure], ["dept-agriculture"]),
            ])
            units.append(whistle(township, at: office(&rng), categories: categories, matter: rng.pick([.multiDepartment, .resourceShortfall, .beyondAuthority]),
                                 called: called, stream: index << 8 | 0xF1))
        }

        units += resources.posted.map { PlannedUnit(steps: [$0], isResource: true) }
        resources.posted.removeAll()
        return units
    }

    /// Whether `day` is the first working day on or after the `from`-th of its month.
    private func isPushDay(_ day: Date, from: Int) -> Bool {
        let dom = SimulationEvents.dayOfMonth(day + 43_200)
        guard dom >= from, oracle.isWorkingDay(day + 43_200) else { return false }
        return (from..<dom).allSatisfy { !oracle.isWorkingDay(day + 43_200 - Double(dom - $0) * 86_400) }
    }

    /// A clue from one of the everyday channels, with the risks that channel typically finds.
    private func everydayClue(_ channel: RiskClueReportedV1.DetectedBy, _ rng: inout SeededGenerator) -> ClueSource {
        let main: RiskCategory
        let publisher: String
        switch channel {
        case .ngo:
            publisher = "ngo-county-charity"
            main = rng.pick([.schooling, .illness, .expenseSurge])
        case .enterprise:
            publisher = rng.pick(["ent-lvyuan-foods", "ent-hongda-garments"])
            main = rng.pick([.unemployment, .unstableWork, .accident])
        default:
            publisher = switch channel {
            case .hotline12317, .platformAnalytics: "dept-rural-revitalisation"
            case .cadreVisit, .hotline12345: "township"
            default: "village"
            }
            main = rng.weighted([(.illness, 0.24), (.unemployment, 0.1), (.unstableWork, 0.06), (.schooling, 0.1), (.disability, 0.06),
                                 (.accident, 0.07), (.industryFailure, 0.09), (.housingUnsafe, 0.06), (.incomeDrop, 0.08),
                                 (.expenseSurge, 0.05), (.drinkingWater, 0.03), (.disaster, 0.03), (.other, 0.02)])
        }
        var categories = [main]
        if rng.chance(0.3) {
            let second: RiskCategory = [.illness, .accident, .disability, .schooling].contains(main) ? .expenseSurge : .incomeDrop
            if second != main { categories.append(second) }
        }
        return ClueSource(detectedBy: channel, publisher: publisher, categories: categories)
    }

    /// A clue from a department's data push, with the indicator and threshold rule that flagged it.
    private func pushClue(from dept: String, _ rng: inout SeededGenerator) -> ClueSource {
        let (categories, code, rule): ([RiskCategory], String, String) = switch dept {
        case "dept-medical-insurance": ([.illness, .expenseSurge], "medical_oop_ytd", rng.pick(["mi-oop-inpatient-formerly-poor", "mi-oop-rural-20000"]))
        case "dept-health": ([.illness], "serious_illness_new", "health-serious-illness-list")
        case "dept-civil-affairs": ([rng.pick([.incomeDrop, .expenseSurge])], "dibao_application", "ca-new-dibao-or-temporary-relief")
        case "dept-hrss": ([.unemployment, .incomeDrop], "migrant_work_returned", "hrss-returned-no-work-3m")
        default: ([.disability], "new_disability_certificate", "dpf-grade-1-2")
        }
        return ClueSource(detectedBy: .deptPush, publisher: dept, sourceDept: dept, categories: categories,
                          indicator: .init(band: rng.chance(0.3) ? .farAboveThreshold : .aboveThreshold, code: code, thresholdRuleId: rule))
    }

    /// A township blows the whistle (吹哨) on a matter beyond it; the departments it calls and the
    /// ones the duty catalogue names report for duty (报到) by the time it sets, most on time, and
    /// the township rates each.
    private func whistle(_ township: DemoDistrict.Township, at blown: Date, categories: [RiskCategory], matter: WhistleBlownV1.MatterCategory,
                         called: [String], stream: UInt64) -> PlannedUnit {
        var rng = SeededGenerator(seed: seed, stream: stream)
        var ids = SeededGenerator(seed: idSeed, stream: stream)
        let whistleID = ids.uuid(at: blown), eventID = ids.uuid(at: blown)
        let respondWithin = rng.days(1...3)
        let role = rng.pick([WhistleBlownV1.ApprovedByRole.townshipHead, .townshipPartySecretary])
        let org = township.organisation
        let label = "whistle/" + whistleID
        var steps = [SimulationStep(at: blown, action: .publish(org: org) { at in
            SimulationEvents.event(WhistleBlownV1(approvedByRole: role, byTownship: org, departmentsCalled: called, matterCategory: matter,
                                                  respondBy: SimulationEvents.stamp(at + respondWithin), riskCategories: categories, whistleId: whistleID),
                                   id: eventID, org: org, at: at, subject: whistleID, district: township.code, correlation: whistleID)
        }, label: label)]
        var owners = called
        if let rules = desk?.planner.rules {
            for category in categories {
                guard let duty = rules.duty(for: category.rawValue, township: township.code) else { continue }
                for owner in [duty.lead] + duty.co where HouseholdStory.isDepartment(owner) && !owners.contains(owner) { owners.append(owner) }
            }
        }
        let due = blown + respondWithin
        let rated = oracle.officeTime(due + rng.days(1...3), using: &rng)
        for owner in owners {
            let how = rng.weighted([(Timeliness.onTime, 0.8), (.late, 0.15), (.never, 0.05)])
            var rating = 1, reason = WhistleRatedV1.ReasonCode.noShow
            if how != .never {
                let reported = how == .onTime ? blown + Double.random(in: 0.1...0.9, using: &rng) * respondWithin : due + rng.hours(3...60)
                let action = rng.pick([WhistleReportedV1.ActionCode.onSite, .onSite, .remoteSupport, .resourcesCommitted])
                let reportID = ids.uuid(at: reported)
                steps.append(SimulationStep(at: reported, action: .publish(org: owner) { at in
                    SimulationEvents.event(WhistleReportedV1(actionCode: action, byOrg: owner, reportedAt: SimulationEvents.stamp(at), whistleId: whistleID),
                                           id: reportID, org: owner, at: at, subject: whistleID, district: township.code, correlation: whistleID)
                }, answers: how == .onTime ? label : nil, deferred: how != .onTime))
                rating = how == .onTime ? Int.random(in: 4...5, using: &rng) : Int.random(in: 2...3, using: &rng)
                reason = how == .onTime ? rng.pick([.timely, .effective]) : .slow
            }
            let ratingID = ids.uuid(at: rated)
            let (score, why) = (rating, reason)
            steps.append(SimulationStep(at: max(rated, due + 3600), action: .publish(org: org) { at in
                SimulationEvents.event(WhistleRatedV1(byTownship: org, ratedAt: SimulationEvents.stamp(at), ratedOrg: owner, rating: score, reasonCode: why,
                                                      whistleId: whistleID),
                                       id: ratingID, org: org, at: at, subject: whistleID, district: township.code, correlation: whistleID)
            }, deferred: true))
        }
        return PlannedUnit(steps: steps.sorted { $0.at < $1.at }, isResource: false)
    }

    /// A Poisson-distributed count (Knuth's method; small means only).
    private func poisson(mean: Double, _ rng: inout SeededGenerator) -> Int {
        let limit = exp(-mean)
        var product = Double.random(in: 0..<1, using: &rng), count = 0
        while product > limit {
            product *= Double.random(in: 0..<1, using: &rng)
            count += 1
        }
        return count
    }
}
