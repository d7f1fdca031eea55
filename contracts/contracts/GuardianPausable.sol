// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/**
 * @title GuardianPausable
 * @notice The exchange's contracts stop and go on at the word of the guardian (`GUARDIAN_ROLE`:
 * ContractGuard's runtime monitor, or the bureau's operator), and of no one else.
 */
abstract contract GuardianPausable is AccessControl, Pausable {
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Stops every mutating entry point guarded by `whenNotPaused`.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @notice Lets them go on.
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }
}
