// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEmissionLedger} from "./IEmissionLedger.sol";

/**
 * @title EmissionLedger
 * @notice Holds each enterprise's discharge credits per pollutant and charges
 * settled monitoring batches against them, anchoring each batch's Merkle root.
 *
 * - The bureau (`BUREAU_ROLE`) allocates credits and can pause settlement.
 * - The oracle (`ORACLE_ROLE`, the cloud ingester) settles batches, at most once per id.
 * - A balance may go negative: over-discharge is recorded as debt, never clamped.
 *
 * Amounts are milligrams (1 credit = 1 kg = 1,000,000 mg). See {IEmissionLedger} for ids.
 */
contract EmissionLedger is IEmissionLedger, AccessControl, Pausable {
    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    mapping(bytes32 enterprise => mapping(bytes32 pollutant => int256)) private _balances;
    mapping(bytes32 enterprise => mapping(bytes32 pollutant => uint256)) private _allocations;
    mapping(uint64 batchId => Batch) private _batches;

    /**
     * @notice The deployer becomes admin (grants and revokes roles).
     * @param bureau gets `BUREAU_ROLE` (allocates credits, pauses settlement)
     * @param oracle gets `ORACLE_ROLE` (settles batches)
     */
    constructor(address bureau, address oracle) {
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
        _grantRole(ORACLE_ROLE, oracle);
    }

    /// @inheritdoc IEmissionLedger
    function allocate(bytes32 enterprise, bytes32 pollutant, uint256 milligrams) external onlyRole(BUREAU_ROLE) {
        _allocations[enterprise][pollutant] += milligrams;
        int256 balanceAfter = _balances[enterprise][pollutant] + SafeCast.toInt256(milligrams);
        _balances[enterprise][pollutant] = balanceAfter;
        emit CreditsAllocated(enterprise, pollutant, milligrams, balanceAfter);
    }

    /// @inheritdoc IEmissionLedger
    function settle(
        uint64 batchId,
        bytes32 root,
        uint32 readingCount,
        bytes32[] calldata enterprises,
        bytes32[] calldata pollutants,
        uint256[] calldata milligrams
    ) external onlyRole(ORACLE_ROLE) whenNotPaused {
        if (_batches[batchId].settledAt != 0) revert EmissionLedgerBatchAlreadySettled(batchId);
        uint256 count = enterprises.length;
        if (pollutants.length != count || milligrams.length != count) {
            revert EmissionLedgerLoadLengthMismatch(count, pollutants.length, milligrams.length);
        }

        _batches[batchId] = Batch({root: root, readingCount: readingCount, settledAt: uint64(block.timestamp)});
        emit BatchSettled(batchId, root, readingCount);

        for (uint256 i = 0; i < count; ++i) {
            _deduct(enterprises[i], pollutants[i], batchId, milligrams[i]);
        }
    }

    /// @notice Stops settlement until {unpause}; allocation stays open.
    function pause() external onlyRole(BUREAU_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(BUREAU_ROLE) {
        _unpause();
    }

    /// @inheritdoc IEmissionLedger
    function balanceOf(bytes32 enterprise, bytes32 pollutant) external view returns (int256) {
        return _balances[enterprise][pollutant];
    }

    /// @inheritdoc IEmissionLedger
    function allocationOf(bytes32 enterprise, bytes32 pollutant) external view returns (uint256) {
        return _allocations[enterprise][pollutant];
    }

    /// @inheritdoc IEmissionLedger
    function batch(uint64 batchId) external view returns (bytes32 root, uint32 readingCount, uint64 settledAt) {
        Batch storage record = _batches[batchId];
        return (record.root, record.readingCount, record.settledAt);
    }

    function _deduct(bytes32 enterprise, bytes32 pollutant, uint64 batchId, uint256 milligrams) private {
        int256 balanceAfter = _balances[enterprise][pollutant] - SafeCast.toInt256(milligrams);
        _balances[enterprise][pollutant] = balanceAfter;
        emit LoadDeducted(enterprise, pollutant, batchId, milligrams, balanceAfter);
        if (balanceAfter < 0) emit OverDischarged(enterprise, pollutant, batchId, balanceAfter);
    }
}
