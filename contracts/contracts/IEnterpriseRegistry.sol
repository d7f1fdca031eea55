// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEnterpriseRegistry
 * @notice Events, errors and entry points of the registry of enterprises, their outfalls
 * and the monitoring devices enrolled at them, kept by the bureau.
 *
 * Ids are `keccak256(utf8(id))` of the ids the edge and cloud use (`ent-acme`,
 * `ent-acme-out-1`, `ent-acme-dev-1`); a region likewise. A device's public key is its
 * raw 32-byte Ed25519 key (protocol/README.md, "Batch signature").
 */
interface IEnterpriseRegistry {
    struct Enterprise {
        bytes32 region;
        address account; // the enterprise's own key; holds ENTERPRISE_ROLE
        uint64 registeredAt; // zero: not registered
    }

    struct Device {
        bytes32 enterprise;
        bytes32 outfall;
        bytes32 publicKey;
        uint64 enrolledAt; // zero: never enrolled
        bool revoked;
    }

    /// @notice The bureau registered an enterprise in `region`, acting through `account`.
    event EnterpriseRegistered(bytes32 indexed enterprise, bytes32 indexed region, address account);

    /// @notice The bureau moved an enterprise to another account (ENTERPRISE_ROLE moved with it).
    event EnterpriseAccountChanged(bytes32 indexed enterprise, address previousAccount, address newAccount);

    /// @notice The bureau added an outfall to an enterprise.
    event OutfallAdded(bytes32 indexed enterprise, bytes32 indexed outfall);

    /// @notice The bureau enrolled a device at an enterprise's outfall with its public key.
    event DeviceEnrolled(bytes32 indexed device, bytes32 indexed enterprise, bytes32 indexed outfall, bytes32 publicKey);

    /// @notice The bureau revoked a device; its batches are no longer to be trusted.
    event DeviceRevoked(bytes32 indexed device, bytes32 indexed enterprise);

    /// @dev An id or key is zero.
    error EnterpriseRegistryZeroValue();

    /// @dev The account is the zero address.
    error EnterpriseRegistryInvalidAccount(address account);

    /// @dev The enterprise is registered already.
    error EnterpriseRegistryAlreadyRegistered(bytes32 enterprise);

    /// @dev The enterprise is not registered.
    error EnterpriseRegistryUnknownEnterprise(bytes32 enterprise);

    /// @dev The account acts for another enterprise already.
    error EnterpriseRegistryAccountInUse(address account, bytes32 enterprise);

    /// @dev The outfall exists already at this enterprise.
    error EnterpriseRegistryOutfallExists(bytes32 enterprise, bytes32 outfall);

    /// @dev The outfall does not exist at this enterprise.
    error EnterpriseRegistryUnknownOutfall(bytes32 enterprise, bytes32 outfall);

    /// @dev The device is enrolled and not revoked.
    error EnterpriseRegistryDeviceEnrolled(bytes32 device);

    /// @dev The device is not enrolled (never, or revoked).
    error EnterpriseRegistryDeviceNotEnrolled(bytes32 device);

    function registerEnterprise(bytes32 enterprise, bytes32 region, address account) external;

    function changeEnterpriseAccount(bytes32 enterprise, address newAccount) external;

    function addOutfall(bytes32 enterprise, bytes32 outfall) external;

    /// @notice Enrols `device` at an existing outfall; a revoked device may be enrolled again (key rotation).
    function enrollDevice(bytes32 device, bytes32 enterprise, bytes32 outfall, bytes32 publicKey) external;

    function revokeDevice(bytes32 device) external;

    function enterpriseOf(bytes32 enterprise) external view returns (Enterprise memory);

    /// @notice The enterprise `account` acts for; zero when none.
    function enterpriseOfAccount(address account) external view returns (bytes32);

    function isOutfall(bytes32 enterprise, bytes32 outfall) external view returns (bool);

    function deviceOf(bytes32 device) external view returns (Device memory);

    /// @notice True when `device` is enrolled, not revoked, and `publicKey` is its key.
    function isEnrolledKey(bytes32 device, bytes32 publicKey) external view returns (bool);
}
