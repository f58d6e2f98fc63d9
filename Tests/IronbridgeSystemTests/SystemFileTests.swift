import Foundation
import IronbridgeSystem
import Testing

@Suite("IronbridgeSystem files")
struct SystemFileTests {
    @Test("writeSynced replaces a file's content; rename replaces the target; errors name the path")
    func writeAndRename() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-systemfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let temporary = folder.appendingPathComponent("a.tmp").path
        let target = folder.appendingPathComponent("a.json").path
        try SystemFile.writeSynced(Array("old content, longer".utf8), to: target)
        try SystemFile.writeSynced(Array("{\"n\":1}".utf8), to: temporary)
        try SystemFile.rename(temporary, to: target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "{\"n\":1}")
        #expect(!FileManager.default.fileExists(atPath: temporary))
        try SystemFile.writeSynced(Array("x".utf8), to: target)  // shorter than before: truncated
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "x")
        let missing = folder.appendingPathComponent("no/such/folder/x").path
        #expect { try SystemFile.writeSynced([1], to: missing) } throws: { error in
            "\(error)".contains(missing) && "\(error)".contains("No such file")
        }
    }
}
