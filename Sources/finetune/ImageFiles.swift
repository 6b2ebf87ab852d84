import FineTune
import Foundation

/// Turns command-line arguments into image files: files as given, folders searched recursively for JPEG and PNG
/// files (sorted, hidden entries skipped).
enum ImageFiles {
    static func expand(_ arguments: [String]) throws -> [String] {
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw DataError.readFailed(path: argument, message: "no such file or folder")
            }
            guard isDirectory.boolValue else {
                files.append(argument)
                continue
            }
            let found = (FileManager.default.enumerator(atPath: argument)?.allObjects as? [String] ?? [])
                .filter { path in
                    !path.split(separator: "/").contains { $0.hasPrefix(".") }
                        && ImageFormat.fromExtension((path as NSString).pathExtension) != nil
                }
                .sorted()
            files += found.map { (argument as NSString).appendingPathComponent($0) }
        }
        return files
    }
}
