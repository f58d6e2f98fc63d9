#if canImport(Glibc)
import Glibc
#endif

/// Figures of the machine and of this process for `machineStats`, `totalMemory`, `totalDisk`
/// and `cpuCount`, read from /proc, sysconf and statvfs. Anything that cannot be read is nil and
/// left out of the message, never invented.
public struct MachineFigures: Sendable {
    public var memoryTotalBytes: UInt64?
    public var memoryAvailableBytes: UInt64?
    public var diskTotalBytes: UInt64?
    public var diskFreeBytes: UInt64?
    public var cpuCount: Int
    /// 15-minute load average.
    public var loadAverage15: Double?
    /// Process CPU time (user + system), seconds.
    public var processCPUSeconds: Double?
    /// From /proc/self/statm and status: rss, vms, shared, text, data in bytes; swap from VmSwap;
    /// uss and pss from smaps_rollup when the kernel has it.
    public var processMemory: [String: UInt64] = [:]

    /// Reads everything now; `diskPath` is the file system measured (the Python gateway uses "/").
    public static func read(diskPath: String = "/") -> MachineFigures {
        let meminfo = keyedKilobytes(readText("/proc/meminfo"))
        var figures = MachineFigures(cpuCount: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        figures.memoryTotalBytes = meminfo["MemTotal"]
        figures.memoryAvailableBytes = meminfo["MemAvailable"]
        var fs = statvfs()
        if statvfs(diskPath, &fs) == 0 {
            figures.diskTotalBytes = UInt64(fs.f_blocks) * UInt64(fs.f_frsize)
            figures.diskFreeBytes = UInt64(fs.f_bavail) * UInt64(fs.f_frsize)
        }
        if let loadavg = readText("/proc/loadavg")?.split(separator: " "), loadavg.count >= 3 {
            figures.loadAverage15 = Double(loadavg[2])
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = readText("/proc/self/stat"), let close = stat.lastIndex(of: ")"), ticks > 0 {
            // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                figures.processCPUSeconds = (user + system) / ticks
            }
        }
        let page = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))
        if let statm = readText("/proc/self/statm")?.split(separator: " ").compactMap({ UInt64($0.trimmingSpace) }), statm.count >= 6 {
            figures.processMemory["vms"] = statm[0] * page
            figures.processMemory["rss"] = statm[1] * page
            figures.processMemory["shared"] = statm[2] * page
            figures.processMemory["text"] = statm[3] * page
            figures.processMemory["data"] = statm[5] * page
        }
        if let swap = keyedKilobytes(readText("/proc/self/status"))["VmSwap"] { figures.processMemory["swap"] = swap }
        let rollup = keyedKilobytes(readText("/proc/self/smaps_rollup"))
        if let pss = rollup["Pss"] { figures.processMemory["pss"] = pss }
        if let clean = rollup["Private_Clean"], let dirty = rollup["Private_Dirty"] { figures.processMemory["uss"] = clean + dirty }
        return figures
    }

    /// RAM in use, percent (what the Python gateway calls `freeMemory`).
    public var memoryUsedPercent: Double? {
        guard let total = memoryTotalBytes, let available = memoryAvailableBytes, total > 0 else { return nil }
        return Self.round1(Double(total - min(total, available)) / Double(total) * 100)
    }

    public var diskUsedPercent: Double? {
        guard let total = diskTotalBytes, let free = diskFreeBytes, total > 0 else { return nil }
        return Self.round1(Double(total - min(total, free)) / Double(total) * 100)
    }

    /// This process's resident memory as a percent of the machine's.
    public var processMemoryPercent: Double? {
        guard let rss = processMemory["rss"], let total = memoryTotalBytes, total > 0 else { return nil }
        return Self.round1(Double(rss) / Double(total) * 100)
    }

    /// "15.5G"-style sizes, as the Python gateway sends `totalMemory`, `totalDisk` and `freeDisk`.
    public static func humanSize(_ bytes: UInt64) -> String {
        let units = ["B", "K", "M", "G", "T", "P"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : "\(round1(value))\(units[unit])"
    }

    static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// A small text file read whole (at most 64 KiB), or nil.
    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// "Key:   1234 kB" lines as bytes by key.
    static func keyedKilobytes(_ text: String?) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in (text ?? "").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let parts = line[line.index(after: colon)...].split(separator: " ")
            guard let number = parts.first.flatMap({ UInt64($0) }) else { continue }
            let isKB = parts.count > 1 && parts[1] == "kB"
            values[String(line[..<colon])] = isKB ? number * 1024 : number
        }
        return values
    }
}

extension Substring {
    var trimmingSpace: Substring {
        var s = self
        while let last = s.last, last == "\n" || last == " " { s = s.dropLast() }
        return s
    }
}
