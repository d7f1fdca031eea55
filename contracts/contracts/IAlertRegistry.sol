// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IAlertRegistry
 * @notice Events, errors and entry points of the registry of detected alerts: the cloud's oracle
 * records each alert's evidence hash once, and the bureau gives each alert one verdict.
 *
 * Ids: an alert is the keccak256 of its canonical JSON (computed off chain); the evidence hash
 * is the sha256 of the evidence's canonical JSON. The enterprise, the outfall and the alert's
 * kind (e.g. "dilution") are each `keccak256(utf8(id))`, like the enterprise of every contract
 * here. `start` and `end` are the Unix **milliseconds** of the alert's first and last reading
 * (the resolution of the readings; not block times, which are in seconds).
 */
interface IAlertRegistry {
    /// @notice The bureau's verdict on an alert; `None` for an alert never recorded.
    enum Verdict {
        None,
        Pending,
        Confirmed,
        Dismissed
    }

    struct Alert {
        bytes32 evidenceHash; // zero: never recorded
        bytes32 enterprise;
        bytes32 outfall;
        bytes32 kind;
        uint64 start; // Unix ms
        uint64 end; // Unix ms
        Verdict verdict;
        uint64 decidedAt; // Unix seconds of the verdict's block; zero while pending
        bytes32 reasonHash; // of the verdict; zero while pending
    }

    /// @notice The oracle recorded an alert and the hash of its evidence.
    event AlertRecorded(
        bytes32 indexed alertId,
        bytes32 indexed enterprise,
        bytes32 indexed outfall,
        bytes32 kind,
        bytes32 evidenceHash,
        uint64 start,
        uint64 end
    );

    /// @notice The bureau confirmed the alert; it now counts in `enterprise`'s {confirmedCount}.
    event AlertConfirmed(bytes32 indexed alertId, bytes32 indexed enterprise, bytes32 reasonHash, address bureau);

    /// @notice The bureau dismissed the alert (a false alarm, or explained).
    event AlertDismissed(bytes32 indexed alertId, bytes32 indexed enterprise, bytes32 reasonHash, address bureau);

    /// @dev A zero alert id, evidence hash, enterprise, outfall or kind.
    error AlertRegistryMissingField(bytes32 alertId, bytes32 evidenceHash, bytes32 enterprise, bytes32 outfall, bytes32 kind);

    /// @dev The alert ends before it starts.
    error AlertRegistryInvalidWindow(bytes32 alertId, uint64 start, uint64 end);

    /// @dev The alert id is recorded already, with other fields.
    error AlertRegistryConflictingRecord(bytes32 alertId);

    /// @dev No alert with this id was recorded.
    error AlertRegistryUnknownAlert(bytes32 alertId);

    /// @dev The alert has its verdict already.
    error AlertRegistryAlreadyDecided(bytes32 alertId, Verdict verdict);

    /// @dev A verdict without the hash of its grounds.
    error AlertRegistryMissingReason(bytes32 alertId);

    /**
     * @notice Records an alert, pending the bureau's verdict. Idempotent: the same id with the
     * same fields again changes nothing, emits nothing and returns false (so a resent
     * transaction does not fail); the same id with other fields reverts.
     * @return recorded true when the alert was recorded now, false when it was already
     */
    function record(
        bytes32 alertId,
        bytes32 evidenceHash,
        bytes32 enterprise,
        bytes32 outfall,
        bytes32 kind,
        uint64 start,
        uint64 end
    ) external returns (bool recorded);

    /// @notice Confirms a pending alert, with the hash of the grounds (e.g. the inspection report).
    function confirm(bytes32 alertId, bytes32 reasonHash) external;

    /// @notice Dismisses a pending alert, with the hash of the grounds.
    function dismiss(bytes32 alertId, bytes32 reasonHash) external;

    /// @notice The alert as recorded, with its verdict; all zero (`Verdict.None`) when unknown.
    function alertOf(bytes32 alertId) external view returns (Alert memory);

    function verdictOf(bytes32 alertId) external view returns (Verdict);

    /// @notice How many of `enterprise`'s alerts the bureau confirmed.
    function confirmedCount(bytes32 enterprise) external view returns (uint256);
}
