// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IBlacklist} from "./IBlacklist.sol";

/**
 * @title Blacklist
 * @notice The bureau (`BUREAU_ROLE`) lists and delists enterprises, each time with a reason
 * code and an evidence hash. Both entry points check the role (the seed's blacklist had its
 * admin check commented out); everyone may read.
 */
contract Blacklist is IBlacklist, AccessControl {
    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");

    mapping(bytes32 enterprise => Entry) private _entries;

    /// @param bureau gets `BUREAU_ROLE`; the deployer becomes admin.
    constructor(address bureau) {
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
    }

    /// @inheritdoc IBlacklist
    function add(bytes32 enterprise, uint16 reasonCode, bytes32 evidenceHash) external onlyRole(BUREAU_ROLE) {
        _checkGrounds(enterprise, reasonCode, evidenceHash);
        if (_entries[enterprise].listed) revert BlacklistAlreadyListed(enterprise);
        _entries[enterprise] = Entry({
            listed: true,
            reasonCode: reasonCode,
            evidenceHash: evidenceHash,
            changedAt: uint64(block.timestamp)
        });
        emit EnterpriseBlacklisted(enterprise, reasonCode, evidenceHash, _msgSender());
    }

    /// @inheritdoc IBlacklist
    function remove(bytes32 enterprise, uint16 reasonCode, bytes32 evidenceHash) external onlyRole(BUREAU_ROLE) {
        _checkGrounds(enterprise, reasonCode, evidenceHash);
        if (!_entries[enterprise].listed) revert BlacklistNotListed(enterprise);
        _entries[enterprise] = Entry({
            listed: false,
            reasonCode: reasonCode,
            evidenceHash: evidenceHash,
            changedAt: uint64(block.timestamp)
        });
        emit EnterpriseDelisted(enterprise, reasonCode, evidenceHash, _msgSender());
    }

    /// @inheritdoc IBlacklist
    function isBlacklisted(bytes32 enterprise) external view returns (bool) {
        return _entries[enterprise].listed;
    }

    /// @inheritdoc IBlacklist
    function entryOf(bytes32 enterprise) external view returns (Entry memory) {
        return _entries[enterprise];
    }

    function _checkGrounds(bytes32 enterprise, uint16 reasonCode, bytes32 evidenceHash) private pure {
        if (enterprise == bytes32(0) || reasonCode == 0 || evidenceHash == bytes32(0)) {
            revert BlacklistMissingGrounds(enterprise, reasonCode, evidenceHash);
        }
    }
}
