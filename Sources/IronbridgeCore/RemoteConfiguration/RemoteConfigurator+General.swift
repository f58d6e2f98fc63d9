import Logging

/// `general_configuration` from the UI (thingsboard-gateway-ui.md §1.6).
extension RemoteConfigurator {
    func applyGeneralConfiguration(_ general: [String: JSONValue]) async {
        logger.info("remote configuration: general_configuration from the UI is not applied yet")
    }
}
