// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAlertRegistry} from "./IAlertRegistry.sol";

/**
 * @title AlertRegistry
 * @notice Puts the evidence of detected alerts beyond later change, and the bureau's verdict on them.
 *
 * - The oracle (`ORACLE_ROLE`, the cloud's settlement key) records each alert once: its evidence
 *   hash, enterprise, outfall, kind and time window. Recording it again with the same fields is a
 *   no-op, so a resent transaction never fails; with other fields it reverts.
 * - The bureau (`BUREAU_ROLE`) confirms or dismisses each recorded alert once, with the hash of
 *   its grounds. Confirmed alerts count per enterprise ({confirmedCount}): the record the
 *   blacklist and the credit score rest on.
 * - Everyone may read.
 *
 * Storage: a recorded alert takes five slots (four ids and hashes, and one holding the window,
 * the verdict and its time); a verdict adds one, its reason hash. See {IAlertRegistry} for ids and units.
 */
contract AlertRegistry is IAlertRegistry, AccessControl {
    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    mapping(bytes32 alertId => Alert) private _alerts;
    mapping(bytes32 enterprise => uint256) private _confirmed;

    /**
     * @notice The deployer becomes admin (grants and revokes roles).
     * @param bureau gets `BUREAU_ROLE` (confirms and dismisses alerts)
     * @param oracle gets `ORACLE_ROLE` (records alerts)
     */
    constructor(address bureau, address oracle) {
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
        _grantRole(ORACLE_ROLE, oracle);
    }

    /// @inheritdoc IAlertRegistry
    function record(
        bytes32 alertId,
        bytes32 evidenceHash,
        bytes32 enterprise,
        bytes32 outfall,
        bytes32 kind,
        uint64 start,
        uint64 end
    ) external onlyRole(ORACLE_ROLE) returns (bool recorded) {
        if (
            alertId == bytes32(0) ||
            evidenceHash == bytes32(0) ||
            enterprise == bytes32(0) ||
            outfall == bytes32(0) ||
            kind == bytes32(0)
        ) {
            revert AlertRegistryMissingField(alertId, evidenceHash, enterprise, outfall, kind);
        }
        if (start > end) revert AlertRegistryInvalidWindow(alertId, start, end);

        Alert storage alert = _alerts[alertId];
        if (alert.evidenceHash != bytes32(0)) {
            if (
                alert.evidenceHash != evidenceHash ||
                alert.enterprise != enterprise ||
                alert.outfall != outfall ||
                alert.kind != kind ||
                alert.start != start ||
                alert.end != end
            ) revert AlertRegistryConflictingRecord(alertId);
            return false;
        }
        // Field by field: the reason hash's slot stays untouched until the verdict.
        alert.evidenceHash = evidenceHash;
        alert.enterprise = enterprise;
        alert.outfall = outfall;
        alert.kind = kind;
        alert.start = start;
        alert.end = end;
        alert.verdict = Verdict.Pending;
        emit AlertRecorded(alertId, enterprise, outfall, kind, evidenceHash, start, end);
        return true;
    }

    /// @inheritdoc IAlertRegistry
    function confirm(bytes32 alertId, bytes32 reasonHash) external onlyRole(BUREAU_ROLE) {
        bytes32 enterprise = _decide(alertId, reasonHash, Verdict.Confirmed);
        _confirmed[enterprise] += 1;
        emit AlertConfirmed(alertId, enterprise, reasonHash, _msgSender());
    }

    /// @inheritdoc IAlertRegistry
    function dismiss(bytes32 alertId, bytes32 reasonHash) external onlyRole(BUREAU_ROLE) {
        bytes32 enterprise = _decide(alertId, reasonHash, Verdict.Dismissed);
        emit AlertDismissed(alertId, enterprise, reasonHash, _msgSender());
    }

    /// @inheritdoc IAlertRegistry
    function alertOf(bytes32 alertId) external view returns (Alert memory) {
        return _alerts[alertId];
    }

    /// @inheritdoc IAlertRegistry
    function verdictOf(bytes32 alertId) external view returns (Verdict) {
        return _alerts[alertId].verdict;
    }

    /// @inheritdoc IAlertRegistry
    function confirmedCount(bytes32 enterprise) external view returns (uint256) {
        return _confirmed[enterprise];
    }

    /// @dev Sets the verdict of a pending alert; returns its enterprise.
    function _decide(bytes32 alertId, bytes32 reasonHash, Verdict verdict) private returns (bytes32 enterprise) {
        if (reasonHash == bytes32(0)) revert AlertRegistryMissingReason(alertId);
        Alert storage alert = _alerts[alertId];
        Verdict current = alert.verdict;
        if (current == Verdict.None) revert AlertRegistryUnknownAlert(alertId);
        if (current != Verdict.Pending) revert AlertRegistryAlreadyDecided(alertId, current);
        alert.verdict = verdict;
        alert.decidedAt = uint64(block.timestamp);
        alert.reasonHash = reasonHash;
        return alert.enterprise;
    }
}
