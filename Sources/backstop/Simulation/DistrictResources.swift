import BackstopContracts
import Foundation

/// What the district's third parties and departments offer: job offers, donation pledges and
/// industry support. Stories draw on them (a referral quotes an offer, a commitment a pledge); an
/// offer is posted when a story needs one and none is open, and some are posted on a regular
/// rhythm whether or not anyone uses them (unused pledges lapse).
struct DistrictResources {
    /// A job offer and how many referrals it has taken.
    struct JobOffer {
        var id: String
        var employer: String
        var postedAt: Date
        var validUntil: Date
        var positions: Int
        var referred = 0
    }

    /// A pledge and what is left of it.
    struct Pledge {
        var id: String
        var donor: String
        var pledgedAt: Date
        var validUntil: Date
        var cashLeft: Int?
        var inKind: (item: String, unit: String, left: Int)?
        var categories: [MeasureCategory]
        var commitments = 0
    }

    /// An industry support offer.
    struct IndustryOffer {
        var id: String
        var provider: String
        var postedAt: Date
        var validUntil: Date
        var enrolled = 0
        var capacity: Int
    }

    private(set) var jobOffers: [JobOffer] = []
    private(set) var pledges: [Pledge] = []
    private(set) var industryOffers: [IndustryOffer] = []
    /// Steps that publish the resources posted since the planner last took them.
    var posted: [SimulationStep] = []
    /// Nothing is posted before this time (the start of the history).
    let earliest: Date
    let district: DemoDistrict

    init(district: DemoDistrict, earliest: Date) {
        self.district = district
        self.earliest = earliest
    }

    /// Forgets offers and pledges that closed more than a month before `date` (a long live run
    /// would otherwise keep every one).
    mutating func forget(before date: Date) {
        let cutoff = date - 30 * 86_400
        jobOffers.removeAll { $0.validUntil < cutoff }
        pledges.removeAll { $0.validUntil < cutoff }
        industryOffers.removeAll { $0.validUntil < cutoff }
    }

    // MARK: jobs

    /// An open offer of `employer` with a free position at `date`, posted now if there is none.
    mutating func jobOffer(of employer: String, at date: Date, rng: inout SeededGenerator, ids: inout SeededGenerator) -> JobOffer {
        let open = { (offer: JobOffer) in
            offer.employer == employer && offer.postedAt < date && offer.validUntil > date + 86_400 && offer.referred < offer.positions * 2
        }
        if let i = jobOffers.lastIndex(where: open) {
            jobOffers[i].referred += 1
            return jobOffers[i]
        }
        var offer = postJobOffer(of: employer, at: max(earliest, date - rng.days(1...12)), rng: &rng, ids: &ids)
        offer.referred = 1
        jobOffers[jobOffers.count - 1] = offer
        return offer
    }

    /// Posts a job offer of `employer` at `date`.
    @discardableResult
    mutating func postJobOffer(of employer: String, at date: Date, rng: inout SeededGenerator, ids: inout SeededGenerator) -> JobOffer {
        let id = ids.uuid(at: date)
        let eventID = ids.uuid(at: date)
        let positions = Int.random(in: 2...12, using: &rng)
        let validFor = rng.days(20...60)
        let township = rng.pick(district.townships)
        let village = rng.pick(township.villages)
        typealias Offer = JobOfferedV1
        let template: (title: String, location: String, wage: Offer.WageRange, scheme: Offer.JobScheme, accessible: Bool,
                       groups: [Offer.TargetGroup], requirements: [String], season: Double?)
        switch employer {
        case "ent-lvyuan-foods":
            template = rng.chance(0.6)
                ? ("Kiwi sorting and packing line worker", "510703001", .init(maxYuan: 140, minYuan: 110, per: .day), .market, false,
                   [.formerlyPoor, .monitoredHousehold, .women], ["able to stand for a shift", "health certificate for food handling"], 90)
                : ("Fruit-box folding in the village workshop", village.code, .init(maxYuan: 3, minYuan: 0, per: .piece), .assistanceWorkshop, true,
                   [.monitoredHousehold, .disabled, .olderWorkers], [], nil)
        case "ent-hongda-garments":
            template = ("Sewing machine operator, assistance workshop", "510703002", .init(maxYuan: 3_600, minYuan: 2_600, per: .month),
                        .assistanceWorkshop, true, [.formerlyPoor, .monitoredHousehold, .women, .disabled], ["training given on site"], nil)
        case "ent-jianxin-construction":
            template = ("Village road works labourer (work-for-relief)", township.code, .init(maxYuan: 180, minYuan: 150, per: .day),
                        .workForRelief, false, [.formerlyPoor, .monitoredHousehold], ["physically fit for outdoor work"], 60)
        case "coop-yuanba-kiwi":
            template = ("Kiwi orchard pruning and picking hand", "510703001", .init(maxYuan: 130, minYuan: 100, per: .day), .market, false,
                        [.formerlyPoor, .olderWorkers], ["orchard experience welcome"], 45)
        case "coop-qingshan-tea":
            template = ("Tea leaf picker", "510703005", .init(maxYuan: 4, minYuan: 0, per: .piece), .market, true,
                        [.women, .olderWorkers, .monitoredHousehold], [], 40)
        default:
            template = ("Village cleaning and road upkeep (public-welfare post)", village.code, .init(maxYuan: 1_000, minYuan: 800, per: .month),
                        .publicWelfare, true, [.formerlyPoor, .monitoredHousehold, .disabled, .olderWorkers], [], 365)
        }
        let offer = JobOffer(id: id, employer: employer, postedAt: date, validUntil: date + validFor, positions: positions)
        jobOffers.append(offer)
        let start = date + rng.days(3...10)
        let payload = Offer(accessibleForDisability: template.accessible, employerOrg: employer, jobScheme: template.scheme,
                            locationCode: template.location, offerId: id,
                            period: .init(endDate: template.season.map { SimulationEvents.day(start + $0 * 86_400) }, startDate: SimulationEvents.day(start)),
                            positions: positions, requirements: template.requirements.isEmpty ? nil : template.requirements,
                            targetGroups: template.groups, title: template.title, validUntil: SimulationEvents.stamp(date + validFor),
                            wageRange: template.wage)
        posted.append(SimulationStep(at: date, action: .publish(org: employer) { at in
            SimulationEvents.event(payload, id: eventID, org: employer, at: at, subject: id, district: template.location)
        }))
        return offer
    }

    // MARK: donations

    /// A pledge of `donor` with enough left for a gift of `category` at `date`, pledged now if there
    /// is none. Returns the pledge, the part committed from it (cash, or a quantity in kind), and
    /// whether this is its first commitment.
    mutating func pledge(of donor: String, for category: MeasureCategory, at date: Date,
                         rng: inout SeededGenerator, ids: inout SeededGenerator) -> (pledge: Pledge, cash: Int?, quantity: Int?, first: Bool) {
        let cash = Int.random(in: 10...60, using: &rng) * 100
        let quantity = Int.random(in: 1...3, using: &rng)
        func fits(_ p: Pledge) -> Bool {
            p.donor == donor && p.pledgedAt < date && p.validUntil > date && (p.categories.isEmpty || p.categories.contains(category))
                && ((p.cashLeft ?? 0) >= cash || (p.inKind?.left ?? 0) >= quantity)
        }
        let i: Int
        if let found = pledges.firstIndex(where: fits) {
            i = found
        } else {
            pledge(by: donor, at: max(earliest, date - rng.days(1...12)), category: category, rng: &rng, ids: &ids)
            i = pledges.count - 1
        }
        let first = pledges[i].commitments == 0
        pledges[i].commitments += 1
        if let left = pledges[i].cashLeft, left >= cash {
            pledges[i].cashLeft = left - cash
            return (pledges[i], cash, nil, first)
        }
        pledges[i].inKind?.left -= quantity
        return (pledges[i], nil, quantity, first)
    }

    /// Posts a pledge of `donor` at `date` (for gifts of `category` when the donor restricts them).
    @discardableResult
    mutating func pledge(by donor: String, at date: Date, category: MeasureCategory? = nil,
                         rng: inout SeededGenerator, ids: inout SeededGenerator) -> Pledge {
        let id = ids.uuid(at: date), eventID = ids.uuid(at: date)
        let validUntil = date + rng.days(45...90)
        var pledge = Pledge(id: id, donor: donor, pledgedAt: date, validUntil: validUntil, categories: [])
        var restrictions = DonationPledgedV1.Restrictions(locationCode: district.countyCode)
        var cash: Int?, inKind: DonationPledgedV1.InKind?
        switch donor {
        case "ngo-spring-bud-education":
            pledge.categories = [.education]
            restrictions.measureCategories = [.education]
            restrictions.riskCategories = [.schooling]
            cash = Int.random(in: 2...6, using: &rng) * 10_000
        case "ngo-county-charity" where category != .education && rng.chance(0.3):
            pledge.categories = [.socialHelp, .socialProtection]
            restrictions.measureCategories = pledge.categories
            inKind = .init(item: "Rice, 10 kg bag", quantity: 300, unit: "bag")
        case "ngo-county-charity":
            pledge.categories = [.socialHelp, .socialProtection, .medical, .education]
            restrictions.measureCategories = pledge.categories
            cash = Int.random(in: 3...8, using: &rng) * 10_000
        default:
            pledge.categories = [.socialHelp]
            restrictions.measureCategories = [.socialHelp]
            inKind = .init(item: "Winter quilt set", quantity: 120, unit: "set")
        }
        pledge.cashLeft = cash
        pledge.inKind = inKind.map { ($0.item, $0.unit, $0.quantity) }
        pledges.append(pledge)
        let payload = DonationPledgedV1(cashAmountYuan: cash, donorOrg: donor, inKind: inKind, pledgeId: id,
                                        restrictions: restrictions, validUntil: SimulationEvents.stamp(validUntil))
        posted.append(SimulationStep(at: date, action: .publish(org: donor) { at in
            SimulationEvents.event(payload, id: eventID, org: donor, at: at, subject: id, district: "510703")
        }, label: "pledge/" + id))
        return pledge
    }

    // MARK: industry support

    /// An open industry support offer of `provider` at `date`, posted now if there is none.
    mutating func industryOffer(of provider: String, at date: Date, rng: inout SeededGenerator, ids: inout SeededGenerator) -> IndustryOffer {
        if let i = industryOffers.lastIndex(where: { $0.provider == provider && $0.postedAt < date && $0.validUntil > date && $0.enrolled < $0.capacity }) {
            industryOffers[i].enrolled += 1
            return industryOffers[i]
        }
        postIndustryOffer(of: provider, at: max(earliest, date - rng.days(2...15)), rng: &rng, ids: &ids)
        industryOffers[industryOffers.count - 1].enrolled = 1
        return industryOffers[industryOffers.count - 1]
    }

    /// Posts an industry support offer of `provider` at `date`.
    @discardableResult
    mutating func postIndustryOffer(of provider: String, at date: Date, rng: inout SeededGenerator, ids: inout SeededGenerator) -> IndustryOffer {
        let id = ids.uuid(at: date), eventID = ids.uuid(at: date)
        let validUntil = date + rng.days(60...120)
        typealias Kind = IndustrySupportOfferedV1.SupportType
        let choices: [(Kind, String, String, [String])]
        switch provider {
        case "coop-yuanba-kiwi":
            choices = [(.seedlingsInputs, "Free kiwi seedlings and fertiliser for new member households", "510703001", ["kiwi"]),
                       (.technicalGuidance, "Kiwi orchard pruning and disease control training", "510703", ["kiwi"])]
        case "coop-qingshan-tea":
            choices = [(.purchaseContract, "Guaranteed purchase of fresh tea leaves at the season's floor price", "510703005", ["tea"]),
                       (.processing, "Tea processing for member households' leaves", "510703005", ["tea"])]
        default:
            choices = [(.purchaseContract, "Order farming: kiwi bought at a guaranteed price", "510703", ["kiwi"]),
                       (.ecommerceSales, "Online sales of local produce through the company shop", "510703", ["kiwi", "honey", "walnuts"])]
        }
        let (kind, title, location, products) = rng.pick(choices)
        let capacity = Int.random(in: 15...80, using: &rng)
        let offer = IndustryOffer(id: id, provider: provider, postedAt: date, validUntil: validUntil, capacity: capacity)
        industryOffers.append(offer)
        let payload = IndustrySupportOfferedV1(capacityHouseholds: capacity, locationCode: location, offerId: id, products: products,
                                               providerOrg: provider, supportType: kind, title: title,
                                               validUntil: SimulationEvents.stamp(validUntil))
        posted.append(SimulationStep(at: date, action: .publish(org: provider) { at in
            SimulationEvents.event(payload, id: eventID, org: provider, at: at, subject: id, district: location)
        }))
        return offer
    }
}
