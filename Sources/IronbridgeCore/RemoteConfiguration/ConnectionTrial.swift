import Logging

/// The second half of a connection change from the UI (RemoteConfigurator+General.swift): after
/// the restart onto the new settings, the gateway must reach the platform within
/// `thingsboard.remoteConfigurationConfirmSeconds`; otherwise the previous config.json (kept as
/// `config.json.rollback`) is put back and the gateway restarts on it, so that a change which
/// worked once but not after the restart still cannot lock the gateway out.
enum ConnectionTrial {
    static let rollbackSuffix = ".rollback"

    /// Runs at start: does nothing unless `config.json.rollback` exists.
    static func confirmPending(config: GatewayConfig, platform: PlatformLink, restart: RestartRequest, logger: Logger) async {
        let configPath = config.file.path
        let rollbackPath = configPath + rollbackSuffix
        guard ConfigFileStore.exists(rollbackPath) else { return }
        let timeout = Duration.milliseconds(Int64(config.thingsboard.remoteConfigurationConfirmSeconds * 1000))
        logger.info("the connection settings changed from the UI are on trial: \(config.thingsboard.host):\(config.thingsboard.port) has \(timeout) to connect")
        if await platform.waitUntilConnected(timeout: timeout) {
            try? StorageFile.remove(rollbackPath)
            logger.notice("the connection settings changed from the UI are confirmed; \(rollbackPath) removed")
            return
        }
        guard !Task.isCancelled else { return }
        do {
            try ConfigFileStore.replace(configPath, with: try ConfigFileStore.read(rollbackPath))
            try StorageFile.remove(rollbackPath)
        } catch {
            logger.critical("the connection settings changed from the UI did not connect within \(timeout), and the previous config.json could not be put back: \(error)")
            return
        }
        logger.error("the connection settings changed from the UI did not connect within \(timeout): the previous config.json is back (the failed one kept as config.json\(ConfigFileStore.backupSuffix)); restarting on it",
                     metadata: ["connector": .string(ErrorCounters.serviceName)])
        restart.request(after: .zero)
    }
}
