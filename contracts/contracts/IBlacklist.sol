// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IBlacklist
 * @notice Events, errors and entry points of the bureau's blacklist of enterprises.
 *
 * Every listing and delisting carries a reason code and the hash of its evidence (e.g. the
 * keccak256 of the inspection report or of the anomaly record), so the public can check
 * the bureau's grounds. Reason codes (uint16, non-zero):
 * 1 over-discharge, 2 illegal (unmonitored) discharge, 3 trade violation, 4 data tampering;
 * removal: 100 rectified, 101 appeal upheld, 102 listed in error. Other codes are allowed.
 * What a listing blocks arrives with trading.
 */
interface IBlacklist {
    struct Entry {
        bool listed;
        uint16 reasonCode; // of the last listing or delisting
        bytes32 evidenceHash; // of the last listing or delisting
        uint64 changedAt; // zero: never listed
    }

    /// @notice The bureau listed `enterprise`.
    event EnterpriseBlacklisted(bytes32 indexed enterprise, uint16 indexed reasonCode, bytes32 evidenceHash, address bureau);

    /// @notice The bureau took `enterprise` off the list.
    event EnterpriseDelisted(bytes32 indexed enterprise, uint16 indexed reasonCode, bytes32 evidenceHash, address bureau);

    /// @dev The enterprise is listed already.
    error BlacklistAlreadyListed(bytes32 enterprise);

    /// @dev The enterprise is not listed.
    error BlacklistNotListed(bytes32 enterprise);

    /// @dev A zero enterprise, reason code or evidence hash: every change must say why, with evidence.
    error BlacklistMissingGrounds(bytes32 enterprise, uint16 reasonCode, bytes32 evidenceHash);

    function add(bytes32 enterprise, uint16 reasonCode, bytes32 evidenceHash) external;

    function remove(bytes32 enterprise, uint16 reasonCode, bytes32 evidenceHash) external;

    function isBlacklisted(bytes32 enterprise) external view returns (bool);

    function entryOf(bytes32 enterprise) external view returns (Entry memory);
}
