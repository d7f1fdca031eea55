// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEmissionLedger
 * @notice Events, errors and entry points of the Qingliu emission ledger: permits,
 * initial allocation, settlement, consumption rate and top-up warnings, anchoring.
 *
 * Units: every amount is an integer number of milligrams of pollutant
 * (1 credit = 1 kg = 1,000,000 mg); times are Unix seconds. Ids: an enterprise is
 * `keccak256(utf8(enterpriseId))`, a region likewise `keccak256(utf8(regionId))`,
 * a pollutant is its HJ 212 code as a short string, `encodeBytes32String("w01018")`.
 */
interface IEmissionLedger {
    /// @notice Why a {TopUpWarning} was emitted.
    enum TopUpReason {
        DepletionWithinHorizon,
        Below20Percent,
        Below10Percent,
        Depleted
    }

    /// @notice The bureau granted `milligrams` of credits; `balanceAfter` includes any earlier debt.
    event CreditsAllocated(bytes32 indexed enterprise, bytes32 indexed pollutant, uint256 milligrams, int256 balanceAfter);

    /// @notice A permit for `year` was issued to `enterprise`; its credits were added to the balance.
    event PermitIssued(
        bytes32 indexed enterprise,
        bytes32 indexed pollutant,
        uint16 indexed year,
        bytes32 region,
        uint256 milligrams
    );

    /// @notice A region's yearly cap was split among `enterpriseCount` enterprises; the permits sum to `cap`.
    event CapAllocated(bytes32 indexed region, bytes32 indexed pollutant, uint16 indexed year, uint256 cap, uint256 enterpriseCount);

    /**
     * @notice A batch was settled: its Merkle root anchored and its loads deducted. Only the root
     * is kept in storage ({batchRoot}); `readingCount` is recorded here alone, and the settlement
     * time is this event's block timestamp (one storage slot per batch keeps anchoring cheap).
     */
    event BatchSettled(uint64 indexed batchId, bytes32 root, uint32 readingCount);

    /// @notice One load of a settled batch was deducted from an enterprise's balance.
    event LoadDeducted(
        bytes32 indexed enterprise,
        bytes32 indexed pollutant,
        uint64 indexed batchId,
        uint256 milligrams,
        int256 balanceAfter
    );

    /// @notice A deduction left the balance below zero; the shortfall is recorded as debt.
    event OverDischarged(bytes32 indexed enterprise, bytes32 indexed pollutant, uint64 indexed batchId, int256 balanceAfter);

    /**
     * @notice The enterprise should buy or be granted credits: depletion is projected within the
     * horizon, or the balance fell to 20 %, 10 % or 0 of what it was after its last credit.
     * Emitted once per crossing; `secondsToDepletion` is `type(uint256).max` when no rate is known yet.
     */
    event TopUpWarning(
        bytes32 indexed enterprise,
        bytes32 indexed pollutant,
        uint64 indexed batchId,
        TopUpReason reason,
        int256 balance,
        uint256 secondsToDepletion
    );

    /// @notice The bureau changed how far ahead a projected depletion is warned of.
    event WarningHorizonChanged(uint64 previousSeconds, uint64 newSeconds);

    /// @dev The batch id was settled before; nothing is charged twice.
    error EmissionLedgerBatchAlreadySettled(uint64 batchId);

    /// @dev The root `~0` (all bits set) cannot be anchored: the ledger stores roots inverted, so it would read as unsettled.
    error EmissionLedgerUnanchorableRoot(uint64 batchId);

    /// @dev The load arrays of a settlement differ in length.
    error EmissionLedgerLoadLengthMismatch(uint256 enterprises, uint256 pollutants, uint256 milligrams);

    /// @dev The enterprise and historical-emission arrays of a cap allocation differ in length.
    error EmissionLedgerAllocationLengthMismatch(uint256 enterprises, uint256 historical);

    /// @dev A cap allocation lists no enterprise, or more than the contract splits in one call.
    error EmissionLedgerEnterpriseCount(uint256 count, uint256 max);

    /// @dev The historical emissions of a cap allocation sum to zero: there is nothing to split by.
    error EmissionLedgerNoHistory(bytes32 region, bytes32 pollutant, uint16 year);

    /// @dev This region's cap for this pollutant and year was allocated before.
    error EmissionLedgerCapAlreadyAllocated(bytes32 region, bytes32 pollutant, uint16 year);

    /// @dev The enterprise holds a permit for this pollutant and year already (also: listed twice).
    error EmissionLedgerPermitAlreadyIssued(bytes32 enterprise, bytes32 pollutant, uint16 year);

    /// @dev A year outside 2000..2999.
    error EmissionLedgerInvalidYear(uint16 year);

    /// @notice Adds `milligrams` to the allocation and the balance of `enterprise` for `pollutant`.
    function allocate(bytes32 enterprise, bytes32 pollutant, uint256 milligrams) external;

    /// @notice Issues one enterprise's permit for `year` outside a regional cap split.
    function issuePermit(bytes32 enterprise, bytes32 pollutant, uint16 year, uint256 milligrams) external;

    /**
     * @notice Splits `cap` among `enterprises` in proportion to `historicalMilligrams` by the
     * largest-remainder rule (see {previewCapAllocation}) and issues each its permit for `year`.
     * The permits sum to `cap` exactly.
     */
    function allocateCap(
        bytes32 region,
        bytes32 pollutant,
        uint16 year,
        uint256 cap,
        bytes32[] calldata enterprises,
        uint256[] calldata historicalMilligrams
    ) external;

    /**
     * @notice Anchors `root` for `batchId` and deducts each load (`enterprises[i]`,
     * `pollutants[i]`, `milligrams[i]`), exactly once per batch id.
     */
    function settle(
        uint64 batchId,
        bytes32 root,
        uint32 readingCount,
        bytes32[] calldata enterprises,
        bytes32[] calldata pollutants,
        uint256[] calldata milligrams
    ) external;

    /**
     * @notice {settle} for a batch with no loads: anchors `root` for `batchId`, exactly once per
     * batch id (the same ids as {settle}). Cheaper than {settle} with empty arrays (less calldata).
     */
    function anchor(uint64 batchId, bytes32 root, uint32 readingCount) external;

    /// @notice How far ahead (seconds) a projected depletion triggers a {TopUpWarning}.
    function setWarningHorizon(uint64 seconds_) external;

    /// @notice Credits left in milligrams; negative when the enterprise is in debt.
    function balanceOf(bytes32 enterprise, bytes32 pollutant) external view returns (int256);

    /// @notice Total milligrams ever allocated (direct grants and permits).
    function allocationOf(bytes32 enterprise, bytes32 pollutant) external view returns (uint256);

    /**
     * @notice The permit of `enterprise` for `pollutant` and `year`: its milligrams, the region whose
     * cap it came from (zero for {issuePermit}) and when it was issued (zero: never).
     */
    function permitOf(
        bytes32 enterprise,
        bytes32 pollutant,
        uint16 year
    ) external view returns (uint256 milligrams, bytes32 region, uint64 issuedAt);

    /// @notice The cap allocated for `region`, `pollutant` and `year`, and when (zero: never).
    function capOf(
        bytes32 region,
        bytes32 pollutant,
        uint16 year
    ) external view returns (uint256 milligrams, uint64 allocatedAt);

    /// @notice The shares {allocateCap} would give: floor shares plus one mg by largest remainder.
    function previewCapAllocation(uint256 cap, uint256[] calldata historicalMilligrams)
        external
        pure
        returns (uint256[] memory shares);

    /**
     * @notice The moving average over the recent settlements of this enterprise and pollutant:
     * `milligrams` consumed over `seconds_` (rate = milligrams / seconds_), and the projected
     * seconds until the balance reaches zero (0 when it has; `type(uint256).max` when unknown).
     */
    function consumptionOf(bytes32 enterprise, bytes32 pollutant)
        external
        view
        returns (uint256 milligrams, uint256 seconds_, uint256 secondsToDepletion);

    /**
     * @notice The Merkle root anchored for `batchId`, and whether the batch was settled (an empty
     * batch anchors the zero root). Its reading count and settlement time are in its {BatchSettled} event.
     */
    function batchRoot(uint64 batchId) external view returns (bytes32 root, bool settled);

    /**
     * @notice True when `leaf` (a StandardMerkleTree leaf hash) is in the tree whose root was
     * anchored for `batchId`, by `proof`; false for an unsettled batch.
     */
    function verifyReading(uint64 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool);

    /**
     * @notice {verifyReading} from the reading's leaf value (its canonical JSON, protocol/README.md):
     * the leaf is computed here, `keccak256(bytes.concat(keccak256(abi.encode(leafValue))))`, so an
     * inner node of the tree can never be passed off as a reading.
     */
    function verifyReadingValue(uint64 batchId, string calldata leafValue, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
