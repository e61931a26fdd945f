import BackstopContracts

/// A demo county as data: its townships and villages, the county departments the shipped rules'
/// duty catalogue (派单目录, `Ops/rules/s-province.yaml`) assigns alerts to, and the enterprises,
/// cooperatives, social organisations and oversight office that work with them. Pure values: the
/// simulation registers these organisations (``DistrictSeeding``) and acts for them
/// (``DistrictSimulation``).
struct DemoDistrict: Sendable, Hashable {
    /// An organisation of the district, as it is registered.
    struct Member: Sendable, Hashable {
        /// Its organisation id (`dept-health`, `township-510703001`, `ent-lvyuan-foods`).
        var id: String
        /// Its kind.
        var kind: OrganisationKind
        /// Its name, for people.
        var name: String
        /// The division code it belongs to.
        var districtCode: String
    }

    /// A village (its committee is the organisation `village-<12-digit code>`).
    struct Village: Sendable, Hashable {
        /// The 12-digit division code.
        var code: String
        /// Its name.
        var name: String
        /// The organisation id of its village committee.
        var organisation: String { "village-" + code }
    }

    /// A township (its government is the organisation `township-<9-digit code>`) and its villages.
    struct Township: Sendable, Hashable {
        /// The 9-digit division code.
        var code: String
        /// Its name.
        var name: String
        /// Its villages.
        var villages: [Village]
        /// The organisation id of its government.
        var organisation: String { "township-" + code }
    }

    /// The county's 6-digit division code.
    var countyCode: String
    /// The county's name.
    var countyName: String
    /// Its townships.
    var townships: [Township]
    /// County departments and offices.
    var departments: [Member]
    /// Enterprises (jobs, industry support, occasional donations).
    var enterprises: [Member]
    /// Farmers' cooperatives (industry support, workshop jobs).
    var cooperatives: [Member]
    /// Social organisations (donation pledges).
    var socialOrganisations: [Member]
    /// The oversight office (reviews response times; it publishes nothing in the simulation).
    var oversight: Member

    /// Every organisation to register: departments, townships, villages, third parties, oversight.
    var members: [Member] {
        var out = departments
        for township in townships {
            out.append(Member(id: township.organisation, kind: .township, name: "\(township.name) People's Government", districtCode: township.code))
            for village in township.villages {
                out.append(Member(id: village.organisation, kind: .village, name: "\(village.name) Village Committee, \(township.name)",
                                  districtCode: village.code))
            }
        }
        return out + enterprises + cooperatives + socialOrganisations + [oversight]
    }

    /// Every village of the county.
    var villages: [Village] { townships.flatMap(\.villages) }

    /// The township a 9- or 12-digit division code lies in.
    func township(of code: String) -> Township? {
        townships.first { code.hasPrefix($0.code) }
    }
}

extension DemoDistrict {
    /// Lingjiang District (510703), the county of the shipped rules: five townships with four or five
    /// villages each, the eleven departments the duty catalogue names, the three county offices the
    /// escalation ladder names, and the third parties working in the district.
    static let lingjiang: DemoDistrict = {
        func township(_ number: Int, _ name: String, _ villages: [String]) -> Township {
            let code = "510703" + threeDigits(number)
            return Township(code: code, name: name, villages: villages.enumerated().map { i, village in
                Village(code: code + threeDigits(i + 1), name: village)
            })
        }
        func department(_ id: String, _ name: String) -> Member {
            Member(id: id, kind: .department, name: "Lingjiang District " + name, districtCode: "510703")
        }
        return DemoDistrict(
            countyCode: "510703",
            countyName: "Lingjiang District",
            townships: [
                township(1, "Yuanba Town", ["Xinglong", "Shuangshan", "Heping", "Qilin", "Baiyang"]),
                township(2, "Changle Town", ["Fengming", "Tianba", "Jinshan", "Longwan"]),
                // Runs its village water schemes itself (the rules' township duty exception).
                township(3, "Baishui Town", ["Shuikou", "Zhuyuan", "Lianhua", "Shiban", "Gaoqiao"]),
                township(4, "Hongyan Township", ["Hongyan", "Songlin", "Datang"]),
                township(5, "Qingshan Township", ["Chaping", "Yunwu", "Liushu", "Maping"]),
            ],
            departments: [
                department("dept-medical-insurance", "Medical Security Bureau"),
                department("dept-health", "Health Commission"),
                department("dept-civil-affairs", "Civil Affairs Bureau"),
                department("dept-disabled-persons-federation", "Disabled Persons' Federation"),
                department("dept-education", "Education Bureau"),
                department("dept-emergency", "Emergency Management Bureau"),
                department("dept-housing", "Housing and Urban-Rural Development Bureau"),
                department("dept-hrss", "Human Resources and Social Security Bureau"),
                department("dept-rural-revitalisation", "Rural Revitalisation Bureau"),
                department("dept-agriculture", "Agriculture and Rural Affairs Bureau"),
                department("dept-water-resources", "Water Resources Bureau"),
                department("county-rural-work-office", "Rural Work Leading Group Office"),
                department("county-government-office", "People's Government Office"),
                department("county-discipline-inspection", "Discipline Inspection Commission"),
            ],
            enterprises: [
                Member(id: "ent-lvyuan-foods", kind: .enterprise, name: "Lvyuan Kiwi Foods Co., Ltd.", districtCode: "510703001"),
                Member(id: "ent-hongda-garments", kind: .enterprise, name: "Hongda Garments (assistance workshop)", districtCode: "510703002"),
                Member(id: "ent-jianxin-construction", kind: .enterprise, name: "Jianxin Rural Construction Co., Ltd.", districtCode: "510703"),
            ],
            cooperatives: [
                Member(id: "coop-yuanba-kiwi", kind: .cooperative, name: "Yuanba Kiwi Growers' Cooperative", districtCode: "510703001"),
                Member(id: "coop-qingshan-tea", kind: .cooperative, name: "Qingshan Tea Farmers' Cooperative", districtCode: "510703005"),
            ],
            socialOrganisations: [
                Member(id: "ngo-county-charity", kind: .socialOrg, name: "Lingjiang Charity Federation", districtCode: "510703"),
                Member(id: "ngo-spring-bud-education", kind: .socialOrg, name: "Spring Bud Education Aid Association", districtCode: "510703"),
            ],
            oversight: Member(id: "oversight-county", kind: .oversight, name: "Lingjiang District Rural Work Oversight Office", districtCode: "510703"))
    }()

    private static func threeDigits(_ n: Int) -> String {
        String(repeating: "0", count: max(0, 3 - String(n).count)) + String(n)
    }
}
