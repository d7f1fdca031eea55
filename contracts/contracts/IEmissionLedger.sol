// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEmissionLedger
 * @notice Events, errors and entry points of the Qingliu emission ledger.
 *
 * Units: every amount is an integer number of milligrams of pollutant
 * (1 credit = 1 kg = 1,000,000 mg). Ids: an enterprise is `keccak256(utf8(enterpriseId))`,
 * a pollutant is its HJ 212 code as a short string, `encodeBytes32String("w01018")`.
 */
interface IEmissionLedger {
    /// @notice The anchored record of a batch; `settledAt == 0` means never settled.
    struct Batch {
        bytes32 root;
        uint32 readingCount;
        uint64 settledAt;
    }

    /// @notice The bureau granted `milligrams` of credits; `balanceAfter` includes any earlier debt.
    event CreditsAllocated(bytes32 indexed enterprise, bytes32 indexed pollutant, uint256 milligrams, int256 balanceAfter);

    /// @notice A batch was settled: its Merkle root anchored and its loads deducted.
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

    /// @dev The batch id was settled before; nothing is charged twice.
    error EmissionLedgerBatchAlreadySettled(uint64 batchId);

    /// @dev The load arrays of a settlement differ in length.
    error EmissionLedgerLoadLengthMismatch(uint256 enterprises, uint256 pollutants, uint256 milligrams);

    /// @notice Adds `milligrams` to the allocation and the balance of `enterprise` for `pollutant`.
    function allocate(bytes32 enterprise, bytes32 pollutant, uint256 milligrams) external;

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

    /// @notice Credits left in milligrams; negative when the enterprise is in debt.
    function balanceOf(bytes32 enterprise, bytes32 pollutant) external view returns (int256);

    /// @notice Total milligrams ever allocated.
    function allocationOf(bytes32 enterprise, bytes32 pollutant) external view returns (uint256);

    /// @notice The anchored record of `batchId`; all zero when it was never settled.
    function batch(uint64 batchId) external view returns (bytes32 root, uint32 readingCount, uint64 settledAt);
}
