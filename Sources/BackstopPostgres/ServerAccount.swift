import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The operating-system user the PostgreSQL server runs as.
///
/// PostgreSQL refuses to run as root. When Backstop runs as root, the server runs as the unprivileged
/// `postgres` user (created by Debian's `postgresql` package) via `setpriv`, and the data directory
/// is created for that user in a place it can reach.
struct ServerAccount {
    /// `nil` when the server runs as the current (non-root) user.
    var user: (name: String, uid: uid_t, gid: gid_t)?

    /// The account for `dataDirectory`: the current user; as root, the owner of an existing data
    /// directory (so a cluster an ordinary user created keeps working for them), else `postgres`.
    static func current(for dataDirectory: String) throws(PrivateClusterError) -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(user: nil) }
        var info = stat()
        if stat(dataDirectory, &info) == 0, info.st_uid != 0, let owner = getpwuid(info.st_uid) {
            return ServerAccount(user: (name: String(cString: owner.pointee.pw_name), uid: info.st_uid, gid: owner.pointee.pw_gid))
        }
        guard let entry = getpwnam("postgres") else {
            throw PrivateClusterError("running as root, Backstop starts PostgreSQL as the user 'postgres', which does not exist. Install `postgresql` (it creates the user) or run as an ordinary user.")
        }
        return ServerAccount(user: (name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid))
    }

    /// The program and arguments that run `tool` as the server's user.
    func command(_ tool: String, _ arguments: [String]) -> (String, [String]) {
        guard let user else { return (tool, arguments) }
        return ("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--init-groups", "--reset-env", "--", tool] + arguments)
    }

    /// Creates `dir` (mode 700, owned by the server's user) after checking every existing parent is
    /// traversable by that user, so a refused location leaves nothing behind.
    func prepareDirectory(_ dir: String) throws(PrivateClusterError) {
        let fm = FileManager.default
        let parent = (dir as NSString).deletingLastPathComponent
        if let user {
            var path = parent
            while path != "/" && !path.isEmpty {
                var info = stat()
                if stat(path, &info) == 0, info.st_mode & 0o001 == 0, info.st_uid != user.uid {
                    throw PrivateClusterError("the user \(user.name) cannot reach \(dir) because \(path) is not traversable (mode \(String(info.st_mode & 0o777, radix: 8))). Choose a data directory outside it with BACKSTOP_DATA_DIR or --data-dir, e.g. /var/lib/backstop/cluster.")
                }
                path = (path as NSString).deletingLastPathComponent
            }
        }
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            if !fm.fileExists(atPath: dir) {
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw PrivateClusterError("cannot create the data directory \(dir): \(error)")
        }
        guard let user else { return }
        if chown(dir, user.uid, user.gid) != 0 {
            throw PrivateClusterError("cannot give \(dir) to the user \(user.name): \(String(cString: strerror(errno)))")
        }
        let logPath = dir + ".log"
        if !fm.fileExists(atPath: logPath) { _ = fm.createFile(atPath: logPath, contents: nil) }
        _ = chown(logPath, user.uid, user.gid)
    }
}
