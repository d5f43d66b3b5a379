import NCCExchange

/// The refusals about banks and exchanges, in the same words on every driver.
extension BankError {
    /// `bank_not_found`.
    public static func bankNotFound(_ name: String) -> BankError {
        BankError(.bankNotFound, "There is no bank named \(name); `nccmatch bank list` shows them.")
    }

    /// `bank_exists`.
    public static func bankExists(_ name: String) -> BankError {
        BankError(.bankExists, "A bank named \(name) already exists; pick another name, or change it with `nccmatch bank set`.")
    }

    /// `bank_in_use`: an exchange fills the bank.
    public static func bankFedByExchange(_ name: String, exchange: String) -> BankError {
        BankError(.bankInUse, "The bank \(name) is filled by the exchange \(exchange); remove that exchange first (`nccmatch exchange remove \(exchange)`).")
    }

    /// `bank_in_use`: the own bank cannot be removed.
    public static var ownBankPermanent: BankError {
        BankError(.bankInUse, "The bank \(BankSettings.ownBankName) holds the victims' cases and cannot be removed; it can be disabled.")
    }

    /// `bank_in_use`: exchanges fill match or allow-list banks, never the own bank, which only cases fill.
    public static var ownBankNotForExchanges: BankError {
        BankError(.bankInUse, "The bank \(BankSettings.ownBankName) holds only the victims' cases; make a bank for the exchange with `nccmatch bank add`.")
    }

    /// `bank_invalid`: the own bank always answers matches; it cannot become an allow-list.
    public static var ownBankRoleFixed: BankError {
        BankError(.bankInvalid, "The bank \(BankSettings.ownBankName) holds the victims' cases and always answers matches; make another bank for an allow-list with `nccmatch bank add`.")
    }

    /// `bank_invalid`: an exchange's name is not usable (`ExchangeSettings.isValidName`).
    public static var exchangeNameInvalid: BankError {
        BankError(.bankInvalid, "An exchange name is 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter.")
    }

    /// `bank_invalid`: an exchange's fetch interval is under `ExchangeSettings.minimumInterval`.
    public static func exchangeIntervalTooShort(_ seconds: Int) -> BankError {
        BankError(.bankInvalid, "An exchange is fetched at most every \(ExchangeSettings.minimumInterval) seconds (the exchanges ask partners not to poll harder); \(seconds) is too short.")
    }

    /// `bank_invalid`: an exchange's feedback source is not usable (`ExchangeSettings.isValidFeedbackSource`).
    public static var feedbackSourceInvalid: BankError {
        BankError(.bankInvalid, "A feedback source is the name the exchange shows for your platform: 1 to \(ExchangeSettings.maxFeedbackSourceLength) characters, no control characters.")
    }

    /// Throws `exchangeNameInvalid`, `exchangeIntervalTooShort` or `feedbackSourceInvalid` for settings no driver
    /// stores.
    public static func validate(_ exchange: ExchangeSettings) throws {
        guard ExchangeSettings.isValidName(exchange.name) else { throw exchangeNameInvalid }
        guard exchange.intervalSeconds >= ExchangeSettings.minimumInterval else { throw exchangeIntervalTooShort(exchange.intervalSeconds) }
        if let source = exchange.feedbackSource, !ExchangeSettings.isValidFeedbackSource(source) { throw feedbackSourceInvalid }
    }

    /// `exchange_not_found`.
    public static func exchangeNotFound(_ name: String) -> BankError {
        BankError(.exchangeNotFound, "There is no exchange named \(name); `nccmatch exchange list` shows them.")
    }

    /// `exchange_exists`.
    public static func exchangeExists(_ name: String) -> BankError {
        BankError(.exchangeExists, "An exchange named \(name) already exists; pick another name, or remove it first.")
    }

    /// `hash_withdrawn`: the imported hash behind a match reference left its exchange since the match.
    public static var hashWithdrawnForFeedback: BankError {
        BankError(.hashWithdrawn, "The hash behind this match reference was withdrawn by its exchange since the match; no feedback is needed.")
    }
}
