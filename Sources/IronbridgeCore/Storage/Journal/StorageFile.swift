#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file of the durable store. Every system call of the store goes through here:
/// errno is captured at once, EINTR is retried, and the error names the operation and path.
/// One owner; the descriptor is closed in `deinit`.
final class StorageFile {
    let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Opens (creating if asked, with `mode`) a file for reading and writing.
    static func open(_ path: String, create: Bool, mode: mode_t = 0o640) throws(StorageError) -> StorageFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let descriptor = try retrying("open", path) { Glibc.open(path, flags, mode) }
        return StorageFile(path: path, descriptor: descriptor)
    }

    var size: Int {
        get throws(StorageError) {
            var info = stat()
            _ = try Self.retrying("read the size of", path) { fstat(descriptor, &info) }
            return Int(info.st_size)
        }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let count = try Self.retrying("write to", path) {
                pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            guard count > 0 else { throw StorageError(operation: "write to", path: path, errno: EIO) }
            done += count
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        var failure: StorageError?
        bytes.withUnsafeBytes { buffer in
            do throws(StorageError) { try write(buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: Int) throws(StorageError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            var failure: StorageError?
            let got = result.withUnsafeMutableBytes { buffer in
                do throws(StorageError) {
                    return try Self.retrying("read", path) { pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done)) }
                } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if got == 0 { break }
            done += got
        }
        result.removeSubrange(done...)
        return result
    }

    func truncate(to size: Int) throws(StorageError) {
        _ = try Self.retrying("truncate", path) { ftruncate(descriptor, off_t(size)) }
    }

    func sync() throws(StorageError) {
        _ = try Self.retrying("flush (fsync)", path) { fsync(descriptor) }
    }

    /// A second descriptor of the same file, for an fsync outside the store's lock.
    func duplicateDescriptor() throws(StorageError) -> Int32 {
        try Self.retrying("duplicate the descriptor of", path) { dup(descriptor) }
    }

    // MARK: Folder operations

    static func makeFolder(_ path: String) throws(StorageError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/\(component)"
            if mkdir(partial, 0o750) != 0 {
                let code = errno
                if code == EEXIST { continue }
                throw StorageError(operation: "create the folder", path: partial, errno: code)
            }
        }
    }

    /// The names of the entries of a folder (no "." or "..").
    static func list(_ folder: String) throws(StorageError) -> [String] {
        guard let directory = opendir(folder) else { throw StorageError(operation: "list the folder", path: folder, errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func remove(_ path: String) throws(StorageError) {
        if unlink(path) != 0 && errno != ENOENT { throw StorageError(operation: "delete", path: path, errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(StorageError) {
        if Glibc.rename(from, to) != 0 { throw StorageError(operation: "rename \(from) to", path: to, errno: errno) }
    }

    /// Replaces `path` with `bytes` so that a power cut leaves the old or the new content, never a
    /// torn file: a temporary `.<name>.<pid>.<n>.tmp` in the same folder is written, flushed
    /// (fsync) and renamed over `path`, then the folder is flushed. The new file gets `mode`,
    /// even over a temporary a killed process left. The one atomic write of the gateway (device
    /// registry, configuration files, provisioned credentials).
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o640) throws(StorageError) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(folder)/.\(name).\(getpid()).\(temporaryCounter.add(1)).tmp"
        do {
            let file = try StorageFile.open(temporary, create: true, mode: mode)
            // The umask cannot widen `mode`, but a leftover file of that name may have another one.
            fchmod(file.descriptor, mode)
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
            try StorageFile.rename(temporary, to: path)
        } catch {
            try? StorageFile.remove(temporary)
            throw error
        }
        try StorageFile.syncFolder(folder)
    }

    private static let temporaryCounter = Counter()

    /// fsync of a folder, so that files created, renamed or deleted in it survive a power cut.
    static func syncFolder(_ path: String) throws(StorageError) {
        let descriptor = try retrying("open the folder", path) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(descriptor) }
        _ = try retrying("flush (fsync) the folder", path) { fsync(descriptor) }
    }

    static func syncDescriptor(_ descriptor: Int32, path: String) throws(StorageError) {
        _ = try retrying("flush (fsync)", path) { fsync(descriptor) }
    }

    static func closeDescriptor(_ descriptor: Int32) { close(descriptor) }

    /// The file's last modification time in Unix ms, or nil if it cannot be read.
    static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    /// Bytes available to unprivileged writers on the file system that holds `path`.
    static func freeBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    private static func retrying<T: BinaryInteger>(_ operation: String, _ path: String, _ call: () -> T) throws(StorageError) -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw StorageError(operation: operation, path: path, errno: code)
        }
    }
}
