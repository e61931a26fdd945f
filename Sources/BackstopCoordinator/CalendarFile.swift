import Foundation
import Yams

/// One parsed working-day calendar file, `<directory>/<province>/<year>.yaml`:
///
/// ```yaml
/// province: "51"
/// year: 2026
/// provisional: false
/// source: "State Council General Office notice on 2026 public holidays"
/// holidays:                # days off (weekend days inside a holiday block may be listed too)
///   - 2026-01-01
/// adjusted_working_days:   # Saturdays and Sundays that are working days (调休)
///   - 2026-01-04
/// ```
///
/// All six keys are required and no others are allowed; an empty list may be written `[]` or left
/// empty. Dates are `YYYY-MM-DD` in the file's year; a date may not be listed twice, nor be both a
/// holiday and an adjusted working day; an adjusted working day must be a Saturday or Sunday.
/// `provisional` is `true` or `false`. Every error names the file and the line.
public struct CalendarFile: Sendable {
    /// The province code the file declares.
    public let province: String
    /// The year's schedule.
    public let calendarYear: CalendarYear
    /// The line of the `province` key, for errors found after parsing.
    let provinceLine: Int
    /// The line of the `year` key, for errors found after parsing.
    let yearLine: Int

    /// The keys a calendar file has, in the order they are documented.
    public static let keys = ["province", "year", "provisional", "source", "holidays", "adjusted_working_days"]

    /// Reads and parses the file at `url`. Throws ``CalendarError/unreadableFile(path:reason:)`` when it
    /// cannot be read and ``CalendarError/invalidFile(path:line:problem:)`` when it is wrong.
    public init(contentsOf url: URL) throws(CalendarError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path: url.path, reason: "the file is not UTF-8 text")
        }
        try self.init(parsing: text, path: url.path)
    }

    /// Parses the YAML `text` of a calendar file; `path` names the file in errors. Throws
    /// ``CalendarError/invalidFile(path:line:problem:)`` naming the line of the first problem.
    public init(parsing text: String, path: String) throws(CalendarError) {
        func fail(_ line: Int?, _ problem: String) -> CalendarError {
            .invalidFile(path: path, line: line ?? 1, problem: problem)
        }
        func fail(_ node: Node, _ problem: String) -> CalendarError { fail(node.mark?.line, problem) }

        let composed: Node?
        do {
            composed = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (line, problem) = Self.located(error, in: text)
            throw fail(line, "not valid YAML: \(problem)")
        } catch {
            throw fail(1, "not valid YAML: \(error)")
        }
        guard let root = composed, let mapping = root.mapping else {
            throw fail(composed?.mark?.line, "a calendar file must be a mapping with the keys \(Self.keys.joined(separator: ", "))")
        }

        var members: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw fail(key, "keys must be plain text") }
            guard Self.keys.contains(name) else {
                throw fail(key, "unknown key '\(name)' (expected one of: \(Self.keys.joined(separator: ", ")))")
            }
            guard members[name] == nil else { throw fail(key, "key '\(name)' appears twice") }
            members[name] = value
        }
        func required(_ key: String) throws(CalendarError) -> Node {
            guard let node = members[key] else { throw fail(root, "missing key '\(key)'") }
            return node
        }
        func textValue(_ key: String) throws(CalendarError) -> String {
            let node = try required(key)
            guard let scalar = node.scalar, !scalar.string.isEmpty else {
                throw fail(node, "'\(key)' must be a non-empty text value")
            }
            return scalar.string
        }

        let province = try textValue("province")
        let yearNode = try required("year")
        guard let yearText = yearNode.scalar?.string, yearText.count == 4, yearText.allSatisfy(\.isASCII),
              let year = Int(yearText), year >= 1
        else { throw fail(yearNode, "'year' must be a four-digit year such as 2026") }
        let provisionalNode = try required("provisional")
        let provisional: Bool
        switch provisionalNode.scalar?.string {
        case "true": provisional = true
        case "false": provisional = false
        default: throw fail(provisionalNode, "'provisional' must be true or false")
        }
        let source = try textValue("source")

        func dates(_ key: String) throws(CalendarError) -> [(date: CalendarDate, line: Int?)] {
            let node = try required(key)
            if let scalar = node.scalar, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) {
                return []
            }
            guard let sequence = node.sequence else {
                throw fail(node, "'\(key)' must be a list of dates (YYYY-MM-DD), or [] for none")
            }
            var seen: Set<CalendarDate> = []
            var out: [(date: CalendarDate, line: Int?)] = []
            for item in sequence {
                guard let itemText = item.scalar?.string else {
                    throw fail(item, "'\(key)': each entry must be one date (YYYY-MM-DD)")
                }
                guard let date = CalendarDate(itemText) else {
                    throw fail(item, "'\(key)': '\(itemText)' is not a date (YYYY-MM-DD, a day that exists)")
                }
                guard date.year == year else {
                    throw fail(item, "'\(key)': \(date) is not in the file's year \(year)")
                }
                guard seen.insert(date).inserted else { throw fail(item, "'\(key)': \(date) is listed twice") }
                out.append((date, item.mark?.line))
            }
            return out
        }
        let holidays = try dates("holidays")
        let adjusted = try dates("adjusted_working_days")
        let holidaySet = Set(holidays.map(\.date))
        for (date, line) in adjusted {
            if holidaySet.contains(date) {
                let holidayLine = holidays.first { $0.date == date }?.line.map { " (line \($0))" } ?? ""
                throw fail(line, "\(date) is both a holiday\(holidayLine) and an adjusted working day")
            }
            if !date.isWeekend {
                throw fail(line, "adjusted working day \(date) is a \(date.weekday), not a Saturday or Sunday")
            }
        }
        do {
            calendarYear = try CalendarYear(
                year: year,
                holidays: holidaySet,
                adjustedWorkingDays: Set(adjusted.map(\.date)),
                provisional: provisional,
                source: source
            )
        } catch {
            // The checks above cover every rule of CalendarYear; this keeps any new rule reported.
            throw fail(root, error.description)
        }
        self.province = province
        func keyLine(_ key: String) -> Int {
            mapping.first { $0.key.scalar?.string == key }?.key.mark?.line ?? 1
        }
        provinceLine = keyLine("province")
        yearLine = keyLine("year")
    }

    /// The line a Yams error points at and what it says. For a duplicated key that is the line of its
    /// second appearance (Yams points at the first), found as the next line with the key at the same column.
    private static func located(_ error: YamlError, in text: String) -> (line: Int, problem: String) {
        func withContext(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return problem }
            return "\(context.text) (line \(context.mark.line)): \(problem)"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return (mark.line, withContext(context, problem))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let first = context.mark
            let key = duplicates.first ?? ""
            let lines = text.components(separatedBy: "\n")
            let indent = String(repeating: " ", count: max(0, first.column - 1))
            let second = lines.indices.first { index in
                index + 1 > first.line && lines[index].hasPrefix(indent)
                    && ["\(key):", "\"\(key)\":", "'\(key)':"].contains { lines[index].dropFirst(indent.count).hasPrefix($0) }
            }
            let line = second.map { $0 + 1 } ?? first.line
            return (line, "key '\(key)' appears twice (first at line \(first.line))")
        default:
            return (1, "\(error)")
        }
    }
}

extension WorkingCalendar {
    /// Loads province `province`'s calendar from `<directory>/<province>/<year>.yaml` for each of
    /// `years`. Throws ``CalendarError/missingFile(path:province:year:)`` naming the first needed year
    /// whose file does not exist, ``CalendarError/invalidFile(path:line:problem:)`` for a wrong file
    /// (including one that declares another province or year than its path), and
    /// ``CalendarError/invalidProvince(_:)`` when `province` cannot be a folder name.
    public static func load(directory: URL, province: String, years: [Int]) throws(CalendarError) -> WorkingCalendar {
        guard !province.isEmpty, province != ".", province != "..", !province.contains("/"),
              !province.contains("\\"), !province.contains("\0")
        else { throw .invalidProvince(province) }
        let folder = directory.appendingPathComponent(province, isDirectory: true)
        var loaded: [CalendarYear] = []
        for year in Set(years).sorted() {
            let url = folder.appendingPathComponent("\(year).yaml", isDirectory: false)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw .missingFile(path: url.path, province: province, year: year)
            }
            let file = try CalendarFile(contentsOf: url)
            guard file.province == province else {
                throw .invalidFile(
                    path: url.path, line: file.provinceLine,
                    problem: "the file declares province \(file.province) but lies in the folder of province \(province)"
                )
            }
            guard file.calendarYear.year == year else {
                throw .invalidFile(
                    path: url.path, line: file.yearLine,
                    problem: "the file declares year \(file.calendarYear.year) but is named \(year).yaml"
                )
            }
            loaded.append(file.calendarYear)
        }
        return try WorkingCalendar(province: province, years: loaded)
    }
}
