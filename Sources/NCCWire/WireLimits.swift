/// The limits of the wire contract that both sides must agree on: the bank refuses a request beyond them,
/// and the clients (the CLI, the person's page) split their work so that they never send one.
public enum WireLimits {
    /// Largest number of hashes in one case request (`POST /v1/cases`, `POST /v1/cases/{id}/hashes`) or
    /// items in one match request (`POST /v1/match`): 10,000, each frame of a video (`vpdq`) counting as one.
    /// Beyond it the bank answers 413 `too_many_items`.
    public static let maxItemsPerRequest = 10_000

    /// Largest number of frames in one video (`vpdq` case hash or match item): 3,600, an hour at the default
    /// rate of one frame a second. Beyond it the bank answers 413 `too_many_frames`; a client spaces the frames
    /// of a longer video evenly to fit (`nccmatch case submit` does).
    public static let maxFramesPerVideo = 3_600

    /// Largest picture number (`image`) a case hash may carry: 1,000,000 (0-based, inclusive).
    public static let maxImageNumber = 1_000_000

    /// Longest `kind` of a match item: 64 characters (the longest kind nccmatch sends has 26). Beyond it the bank
    /// answers 400 `invalid_field`.
    public static let maxKindLength = 64

    /// Largest number of bank names in one match request's `banks`: 32. Beyond it the bank answers 400
    /// `too_many_banks`.
    public static let maxBanksPerRequest = 32

    /// Default largest request body, in bytes: 4 MiB, in which 10,000 items fit easily (a video frame is about
    /// 110 bytes of JSON, so 10,000 frames take about 1.1 MB). An operator may set another
    /// (`ServerConfiguration.maxBodyBytes`); beyond it the bank answers 413 `body_too_large`.
    public static let defaultMaxBodyBytes = 4 << 20
}
