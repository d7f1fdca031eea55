// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IEnterpriseRegistry} from "./IEnterpriseRegistry.sol";

/**
 * @title EnterpriseRegistry
 * @notice Enterprises, their outfalls and enrolled devices, kept by the bureau (`BUREAU_ROLE`).
 * Registering an enterprise grants `ENTERPRISE_ROLE` to its account (for trading, later).
 * `ARBITRATOR_ROLE` is defined here so the roles of the consortium live in one place; the
 * admin grants it. Everyone may read.
 *
 * Each check below is a positive statement of what must hold ("the enterprise is registered"),
 * tested in both directions: the seed's registry shipped with its `require`s inverted.
 */
contract EnterpriseRegistry is IEnterpriseRegistry, AccessControl {
    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");
    bytes32 public constant ENTERPRISE_ROLE = keccak256("ENTERPRISE_ROLE");
    bytes32 public constant ARBITRATOR_ROLE = keccak256("ARBITRATOR_ROLE");

    mapping(bytes32 enterprise => Enterprise) private _enterprises;
    mapping(address account => bytes32 enterprise) private _accounts;
    mapping(bytes32 enterprise => mapping(bytes32 outfall => bool)) private _outfalls;
    mapping(bytes32 device => Device) private _devices;

    /// @param bureau gets `BUREAU_ROLE`; the deployer becomes admin.
    constructor(address bureau) {
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
    }

    /// @inheritdoc IEnterpriseRegistry
    function registerEnterprise(bytes32 enterprise, bytes32 region, address account) external onlyRole(BUREAU_ROLE) {
        if (enterprise == bytes32(0) || region == bytes32(0)) revert EnterpriseRegistryZeroValue();
        if (_enterprises[enterprise].registeredAt != 0) revert EnterpriseRegistryAlreadyRegistered(enterprise);
        _claimAccount(enterprise, account);
        _enterprises[enterprise] = Enterprise({region: region, account: account, registeredAt: uint64(block.timestamp)});
        emit EnterpriseRegistered(enterprise, region, account);
    }

    /// @inheritdoc IEnterpriseRegistry
    function changeEnterpriseAccount(bytes32 enterprise, address newAccount) external onlyRole(BUREAU_ROLE) {
        Enterprise storage record = _registered(enterprise);
        address previous = record.account;
        _claimAccount(enterprise, newAccount);
        delete _accounts[previous];
        _revokeRole(ENTERPRISE_ROLE, previous);
        record.account = newAccount;
        emit EnterpriseAccountChanged(enterprise, previous, newAccount);
    }

    /// @inheritdoc IEnterpriseRegistry
    function addOutfall(bytes32 enterprise, bytes32 outfall) external onlyRole(BUREAU_ROLE) {
        if (outfall == bytes32(0)) revert EnterpriseRegistryZeroValue();
        _registered(enterprise);
        if (_outfalls[enterprise][outfall]) revert EnterpriseRegistryOutfallExists(enterprise, outfall);
        _outfalls[enterprise][outfall] = true;
        emit OutfallAdded(enterprise, outfall);
    }

    /// @inheritdoc IEnterpriseRegistry
    function enrollDevice(
        bytes32 device,
        bytes32 enterprise,
        bytes32 outfall,
        bytes32 publicKey
    ) external onlyRole(BUREAU_ROLE) {
        if (device == bytes32(0) || publicKey == bytes32(0)) revert EnterpriseRegistryZeroValue();
        _registered(enterprise);
        if (!_outfalls[enterprise][outfall]) revert EnterpriseRegistryUnknownOutfall(enterprise, outfall);
        Device storage record = _devices[device];
        if (record.enrolledAt != 0 && !record.revoked) revert EnterpriseRegistryDeviceEnrolled(device);
        _devices[device] = Device({
            enterprise: enterprise,
            outfall: outfall,
            publicKey: publicKey,
            enrolledAt: uint64(block.timestamp),
            revoked: false
        });
        emit DeviceEnrolled(device, enterprise, outfall, publicKey);
    }

    /// @inheritdoc IEnterpriseRegistry
    function revokeDevice(bytes32 device) external onlyRole(BUREAU_ROLE) {
        Device storage record = _devices[device];
        if (record.enrolledAt == 0 || record.revoked) revert EnterpriseRegistryDeviceNotEnrolled(device);
        record.revoked = true;
        emit DeviceRevoked(device, record.enterprise);
    }

    /// @inheritdoc IEnterpriseRegistry
    function enterpriseOf(bytes32 enterprise) external view returns (Enterprise memory) {
        return _enterprises[enterprise];
    }

    /// @inheritdoc IEnterpriseRegistry
    function enterpriseOfAccount(address account) external view returns (bytes32) {
        return _accounts[account];
    }

    /// @inheritdoc IEnterpriseRegistry
    function isOutfall(bytes32 enterprise, bytes32 outfall) external view returns (bool) {
        return _outfalls[enterprise][outfall];
    }

    /// @inheritdoc IEnterpriseRegistry
    function deviceOf(bytes32 device) external view returns (Device memory) {
        return _devices[device];
    }

    /// @inheritdoc IEnterpriseRegistry
    function isEnrolledKey(bytes32 device, bytes32 publicKey) external view returns (bool) {
        Device storage record = _devices[device];
        return record.enrolledAt != 0 && !record.revoked && record.publicKey == publicKey;
    }

    function _registered(bytes32 enterprise) private view returns (Enterprise storage record) {
        record = _enterprises[enterprise];
        if (record.registeredAt == 0) revert EnterpriseRegistryUnknownEnterprise(enterprise);
    }

    /// @dev Binds `account` to `enterprise` and grants it ENTERPRISE_ROLE; one enterprise per account.
    function _claimAccount(bytes32 enterprise, address account) private {
        if (account == address(0)) revert EnterpriseRegistryInvalidAccount(account);
        bytes32 current = _accounts[account];
        if (current != bytes32(0)) revert EnterpriseRegistryAccountInUse(account, current);
        _accounts[account] = enterprise;
        _grantRole(ENTERPRISE_ROLE, account);
    }
}
